import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLog } from '../../broker/event-log.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { startServerCli } from '../aiflow-process.ts';
import { AIFLOW_BIN, run, tempDir } from '../helpers.ts';

test('db backup copies both databases of a running server; the copies open and list the same events', async (t) => {
  const { home, aiflow } = await startServerCli(t);
  assert.equal((await aiflow('namespace', 'add', 'ops')).code, 0);
  for (let i = 0; i < 5; i++) assert.equal((await aiflow('event', 'send', 'k', `v${i}`)).code, 0);
  const listed = await aiflow('event', 'list', '-o', 'json');
  const target = join(tempDir(t), 'backup');

  const backup = await run(process.execPath, [AIFLOW_BIN, 'db', 'backup', target, '--home', home]);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /backup\/aiflow\.db +\d+/);
  assert.match(backup.stdout, /backup\/metadata\.db +\d+/);

  const log = await EventLog.open(join(target, 'aiflow.db'));
  try {
    assert.deepEqual(await log.list({ namespace: 'default' }, 1000), JSON.parse(listed.stdout));
  } finally {
    await log.close();
  }
  const store = SqliteMetadataStore.open(join(target, 'metadata.db'));
  try {
    assert.deepEqual(
      (await store.listNamespaces()).map((n) => n.name),
      ['default', 'ops'],
    );
  } finally {
    await store.close();
  }
  const again = await run(process.execPath, [AIFLOW_BIN, 'db', 'backup', target, '--home', home]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^aiflow: CONFLICT: .* is not empty/);
});
