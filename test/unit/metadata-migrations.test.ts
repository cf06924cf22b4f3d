import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createLogger, type LogRecord } from '../../broker/logger.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { METADATA_SCHEMA_VERSION } from '../../scheduler/store/metadata-schema.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { ROOT, tempDir } from '../helpers.ts';

const RELEASE_0_1_0 = readFileSync(join(ROOT, 'test/fixtures/metadata-schema-release-0.1.0.sql'), 'utf8');

/** A metadata.db as release 0.1.0 left it: its schema, user_version 0, and some of its rows. */
function previousReleaseFile(dir: string): string {
  const file = join(dir, 'metadata.db');
  const db = new Database(file);
  db.exec(RELEASE_0_1_0);
  db.exec(`
INSERT INTO namespaces VALUES ('ops', 5);
INSERT INTO workflows VALUES (1, 'ops', 'etl', 1, 1, 10, 10);
INSERT INTO snapshots VALUES (1, 1, 'etl.ts', 'source', '{"name":"etl","namespace":"ops","tasks":[]}', 10);
INSERT INTO workflow_executions VALUES (7, 1, 1, 'ops', 'etl', 'success', 'manual', 100, 200);
INSERT INTO task_executions VALUES (3, 7, 'a', 1, 1, 'success', NULL, 110, 190, NULL);
UPDATE checkpoint SET offset = 42;`);
  assert.equal(db.pragma('user_version', { simple: true }), 0);
  db.close();
  return file;
}

test('a metadata store made by the previous release is migrated at open, its rows kept, once', async (t) => {
  const file = previousReleaseFile(tempDir(t));
  const records: LogRecord[] = [];
  const store = SqliteMetadataStore.open(file, { logger: createLogger('info', (r) => records.push(r)) });
  try {
    assert.deepEqual(
      (await store.listNamespaces()).map((n) => n.name),
      ['default', 'ops'],
    );
    assert.equal((await store.getWorkflowExecution(7))?.endTime, 200);
    assert.equal((await store.getTaskExecution(3))?.task, 'a');
    assert.deepEqual(await store.listTaskActions(3), [], 'an execution of before the actions has none');
    assert.equal((await store.loadRecovery()).checkpoint, 42);
  } finally {
    await store.close();
  }
  assert.deepEqual(
    records.filter((r) => r.message === 'metadata store migrated').map((r) => r.fields.version),
    [1, 2],
  );
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), METADATA_SCHEMA_VERSION);
  const index = db.prepare("SELECT name FROM sqlite_master WHERE name = 'executions_by_end_time'").get();
  assert.ok(index, 'migration 1 added its index');
  const actions = db.prepare("SELECT name FROM sqlite_master WHERE name = 'task_actions'").get();
  assert.ok(actions, 'migration 2 added the task actions');
  db.close();

  records.length = 0;
  await SqliteMetadataStore.open(file, { logger: createLogger('info', (r) => records.push(r)) }).close();
  assert.equal(
    records.filter((r) => r.message === 'metadata store migrated').length,
    0,
    'nothing runs twice',
  );
});

test('a new metadata store starts at the latest schema version; a newer one is refused', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'new.db');
  await SqliteMetadataStore.open(file).close();
  const db = new Database(file);
  assert.equal(db.pragma('user_version', { simple: true }), METADATA_SCHEMA_VERSION);
  db.pragma(`user_version = ${METADATA_SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(
    () => SqliteMetadataStore.open(file),
    (error: unknown) =>
      error instanceof AIFlowError &&
      error.code === 'STORAGE_FAILED' &&
      /written by a newer version/.test(error.message),
  );
});
