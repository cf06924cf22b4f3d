import assert from 'node:assert/strict';
import { closeSync, openSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { EventLog, type AppendInput } from '../../broker/event-log.ts';
import { EVENT_LOG_SCHEMA_VERSION } from '../../broker/event-log-schema.ts';
import { createLogger, type LogRecord } from '../../broker/logger.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { deferred, tempDir } from '../helpers.ts';
import { LEGACY_EVENT_LOG_SCHEMA } from '../legacy-event-log.ts';

const input = (key: string, extra: Partial<AppendInput> = {}): AppendInput => ({
  namespace: 'default',
  key,
  value: `v-${key}`,
  sender: 's1',
  ...extra,
});

/** A logger that resolves `seen` with the first record carrying STORAGE_FAILED. */
function storageFaultLogger() {
  const records: LogRecord[] = [];
  const seen = deferred<LogRecord>();
  const logger = createLogger('debug', (record) => {
    records.push(record);
    if (record.fields.code === 'STORAGE_FAILED') seen.resolve(record);
  });
  return { logger, records, seen: seen.promise };
}

async function openLog(t: TestContext, file: string, logger = createLogger('error', () => {})) {
  const log = await EventLog.open(file, { durability: 'normal', logger });
  t.after(() => log.close());
  return log;
}

/** Overwrites 8 KiB in the middle of the file: whole pages of the events B-tree become garbage. */
function damageMiddle(file: string): void {
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
  } finally {
    closeSync(fd);
  }
}

test('a file written with the previous schema is upgraded once: counters backfilled, offsets continue', async (t) => {
  const file = join(tempDir(t), 'log.db');
  const legacy = new Database(file);
  legacy.exec(LEGACY_EVENT_LOG_SCHEMA);
  const insert = legacy.prepare(
    'INSERT INTO events (namespace, key, value, sender, context, create_time, idempotency_id) VALUES (?, ?, ?, ?, NULL, ?, ?)',
  );
  insert.run('default', 'a', 'v', 's1', 1000, 'id-1');
  insert.run('default', 'a', 'v', 's2', 1001, null);
  insert.run('other', 'b', 'v', 's1', 1002, null);
  legacy.close();

  const log = await openLog(t, file);
  assert.deepEqual(await log.count({ namespace: 'default' }), {
    total: 2,
    bySender: [
      { sender: 's1', count: 1 },
      { sender: 's2', count: 1 },
    ],
  });
  assert.equal((await log.append(input('c'))).event.offset, 4);
  assert.equal((await log.append(input('a', { idempotencyId: 'id-1' }))).duplicate, true);
  assert.deepEqual(await log.count({ keys: ['a', 'c'] }), {
    total: 3,
    bySender: [
      { sender: 's1', count: 2 },
      { sender: 's2', count: 1 },
    ],
  });
  await log.close();

  const check = new Database(file, { readonly: true });
  t.after(() => check.close());
  assert.equal(check.pragma('user_version', { simple: true }), EVENT_LOG_SCHEMA_VERSION);
  const rows = check.prepare('SELECT * FROM event_counts ORDER BY namespace, key, sender').all();
  assert.deepEqual(rows, [
    { namespace: 'default', key: 'a', sender: 's1', count: 1 },
    { namespace: 'default', key: 'a', sender: 's2', count: 1 },
    { namespace: 'default', key: 'c', sender: 's1', count: 1 },
    { namespace: 'other', key: 'b', sender: 's1', count: 1 },
  ]);
});

test('counters stay exact across duplicates, batches and restarts', async (t) => {
  const file = join(tempDir(t), 'log.db');
  const first = await EventLog.open(file, { durability: 'normal' });
  await Promise.all([
    first.append(input('a', { idempotencyId: 'x' })),
    first.append(input('a', { idempotencyId: 'x' })),
    first.append(input('a', { sender: 's2' })),
    first.append(input('b', { namespace: 'other' })),
  ]);
  await first.close();
  const log = await openLog(t, file);
  await log.append(input('a', { idempotencyId: 'x' }));
  await log.append(input('a'));
  for (const filter of [
    {},
    { namespace: 'default' },
    { keys: ['a'] },
    { sender: 's1' },
    { namespace: 'nope' },
  ]) {
    const listed = await log.list(filter);
    const expected = [...new Set(listed.map((e) => e.sender))]
      .sort()
      .map((sender) => ({ sender, count: listed.filter((e) => e.sender === sender).length }));
    assert.deepEqual(
      await log.count(filter),
      { total: listed.length, bySender: expected },
      JSON.stringify(filter),
    );
  }
  assert.equal((await log.count({})).total, 4);
});

test('a file written by a newer schema version is refused', async (t) => {
  const file = join(tempDir(t), 'log.db');
  const db = new Database(file);
  db.pragma(`user_version = ${EVENT_LOG_SCHEMA_VERSION + 1}`);
  db.close();
  await assert.rejects(EventLog.open(file), { code: 'STORAGE_FAILED', message: /newer version/ });
});

test('a damaged event log refuses to open with STORAGE_FAILED and a pointer to the repair steps', async (t) => {
  const file = join(tempDir(t), 'log.db');
  const log = await EventLog.open(file, { durability: 'normal' });
  await Promise.all(
    Array.from({ length: 3000 }, (_, i) => log.append(input(`k${i}`, { value: 'x'.repeat(200) }))),
  );
  await log.close();
  damageMiddle(file);
  await assert.rejects(EventLog.open(file), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'STORAGE_FAILED');
    assert.match(error.message, /is damaged \(.+\); restore it from a backup or move it aside/);
    assert.ok(error.message.startsWith(file), error.message);
    return true;
  });
});

test('a file that is not a database at all is reported as damaged', async (t) => {
  const file = join(tempDir(t), 'log.db');
  writeFileSync(file, 'x'.repeat(8192));
  await assert.rejects(EventLog.open(file), { code: 'STORAGE_FAILED', message: /is damaged/ });
});

test('once the file is removed, no append is acknowledged and the reason is logged', async (t) => {
  const file = join(tempDir(t), 'log.db');
  const { logger, seen } = storageFaultLogger();
  const log = await openLog(t, file, logger);
  await log.append(input('before'));
  unlinkSync(file);
  await assert.rejects(log.append(input('after')), { code: 'STORAGE_FAILED', message: /was removed/ });
  await assert.rejects(log.append(input('later')), { code: 'STORAGE_FAILED' });
  assert.match(String((await seen).fields.reason), /was removed while open/);
});

test('a file replaced while open is noticed even without appends, within the check interval', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'log.db');
  const { logger, seen } = storageFaultLogger();
  const log = await openLog(t, file, logger);
  await log.append(input('before'));
  writeFileSync(join(dir, 'other.db'), '');
  renameSync(join(dir, 'other.db'), file);
  assert.match(String((await seen).fields.reason), /was replaced while open/);
  await assert.rejects(log.append(input('after')), { code: 'STORAGE_FAILED', message: /was replaced/ });
});

test('the metadata store refuses a damaged file and stops committing once its file is removed', async (t) => {
  const dir = tempDir(t);
  const damaged = join(dir, 'damaged.db');
  const seed = new Database(damaged);
  seed.exec('CREATE TABLE filler (x TEXT)');
  const fill = seed.prepare('INSERT INTO filler VALUES (?)');
  seed.transaction(() => {
    for (let i = 0; i < 2000; i++) fill.run('y'.repeat(300));
  })();
  seed.close();
  damageMiddle(damaged);
  assert.throws(() => SqliteMetadataStore.open(damaged), {
    code: 'STORAGE_FAILED',
    message: /damaged\.db is damaged \(.+\); restore it from a backup or move it aside/,
  });

  const file = join(dir, 'metadata.db');
  const { logger, seen } = storageFaultLogger();
  const store = SqliteMetadataStore.open(file, { logger });
  t.after(() => store.close());
  await store.addNamespace('before');
  unlinkSync(file);
  // The store's check timer is unref'd (it never keeps a server alive); this keeps the test alive while it waits.
  const keepAlive = setInterval(() => {}, 1000);
  const fault = await seen;
  clearInterval(keepAlive);
  assert.match(String(fault.fields.reason), /metadata\.db was removed while open/);
  await assert.rejects(store.addNamespace('after'), /readonly/);
});
