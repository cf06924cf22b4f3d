import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLog, type AppendInput } from '../../broker/event-log.ts';
import type { Event } from '../../protocol/event.ts';
import { tempDir } from '../helpers.ts';

async function openLog(t: import('node:test').TestContext, file?: string): Promise<EventLog> {
  const log = await EventLog.open(file ?? join(tempDir(t), 'log.db'), { durability: 'normal' });
  t.after(() => log.close());
  return log;
}

const input = (key: string, extra: Partial<AppendInput> = {}): AppendInput => ({
  namespace: 'default',
  key,
  value: `v-${key}`,
  sender: 's1',
  ...extra,
});

test('appends get strictly increasing offsets, non-decreasing createTime, in commit order', async (t) => {
  const log = await openLog(t);
  const committed: Event[] = [];
  log.onCommitted((events) => committed.push(...events));
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(input(`k${i}`))));
  assert.deepEqual(
    results.map((r) => r.event.offset),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    committed.map((e) => e.offset),
    results.map((r) => r.event.offset),
  );
  for (let i = 1; i < results.length; i++) {
    assert.ok(results[i]!.event.createTime >= results[i - 1]!.event.createTime);
  }
});

test('an idempotency id is stored once; the retry returns the stored event', async (t) => {
  const log = await openLog(t);
  const first = await log.append(input('k', { idempotencyId: 'id-1' }));
  const [again, sameBatch] = await Promise.all([
    log.append(input('k', { idempotencyId: 'id-1', value: 'changed' })),
    log.append(input('k', { idempotencyId: 'id-1' })),
  ]);
  assert.equal(first.duplicate, false);
  assert.equal(again.duplicate, true);
  assert.equal(sameBatch.duplicate, true);
  assert.deepEqual(again.event, first.event);
  assert.equal((await log.count({})).total, 1);
});

test('offsets survive reopening and are never reused', async (t) => {
  const file = join(tempDir(t), 'log.db');
  const log = await EventLog.open(file);
  await log.append(input('a'));
  await log.append(input('b'));
  await Promise.all([log.close(), log.close()]); // idempotent
  await log.close();
  const reopened = await openLog(t, file);
  assert.equal((await reopened.append(input('c'))).event.offset, 3);
  assert.deepEqual(
    (await reopened.list({})).map((e) => e.key),
    ['a', 'b', 'c'],
  );
});

test('every filter works, results are ordered by offset, and limit caps them', async (t) => {
  const log = await openLog(t);
  await log.append(input('a'));
  await log.append(input('b', { sender: 's2' }));
  await log.append(input('a', { namespace: 'other' }));
  await log.append(input('c', { sender: 's2', context: '{"x":1}' }));
  await log.append(input('a'));
  const keys = async (filter: Parameters<EventLog['list']>[0], limit?: number) =>
    (await log.list(filter, limit)).map((e) => `${e.offset}:${e.namespace}/${e.key}`);

  assert.deepEqual(await keys({}), ['1:default/a', '2:default/b', '3:other/a', '4:default/c', '5:default/a']);
  assert.deepEqual(await keys({ namespace: 'other' }), ['3:other/a']);
  assert.deepEqual(await keys({ namespace: 'default', keys: ['a'] }), ['1:default/a', '5:default/a']);
  assert.deepEqual(await keys({ keys: ['a', 'c'] }), [
    '1:default/a',
    '3:other/a',
    '4:default/c',
    '5:default/a',
  ]);
  assert.deepEqual(await keys({ sender: 's2' }), ['2:default/b', '4:default/c']);
  assert.deepEqual(await keys({ beginOffset: 3 }), ['4:default/c', '5:default/a']);
  assert.deepEqual(await keys({ endOffset: 2 }), ['1:default/a', '2:default/b'], 'end offset is inclusive');
  assert.deepEqual(await keys({ beginOffset: 1, endOffset: 4, namespace: 'default' }), [
    '2:default/b',
    '4:default/c',
  ]);
  assert.deepEqual(await keys({}, 2), ['1:default/a', '2:default/b']);
  assert.equal((await log.list({}))[3]!.context, '{"x":1}');

  const all = await log.list({});
  assert.deepEqual(await keys({ beginTime: all[4]!.createTime + 1 }), []);
  assert.deepEqual((await keys({ beginTime: all[0]!.createTime })).length, 5);

  assert.deepEqual(await log.count({ namespace: 'default' }), {
    total: 4,
    bySender: [
      { sender: 's1', count: 2 },
      { sender: 's2', count: 2 },
    ],
  });
  assert.deepEqual(await log.count({ keys: ['zzz'] }), { total: 0, bySender: [] });
});

test('time to offset: the largest offset created at or before the time', async (t) => {
  const log = await openLog(t);
  assert.equal(await log.timeToOffset(), 0);
  assert.equal(await log.timeToOffset(Date.now()), 0);
  const { event } = await log.append(input('a'));
  assert.equal(await log.timeToOffset(), 1);
  assert.equal(await log.timeToOffset(event.createTime - 1), 0);
  assert.equal(await log.timeToOffset(event.createTime), 1);
  assert.equal(await log.timeToOffset(event.createTime + 60_000), 1);
});

test('appends after close are refused with STORAGE_FAILED', async (t) => {
  const log = await EventLog.open(join(tempDir(t), 'log.db'));
  await log.close();
  await assert.rejects(log.append(input('a')), { code: 'STORAGE_FAILED' });
});

test('an unwritable database file is a clear STORAGE_FAILED error', async () => {
  await assert.rejects(EventLog.open('/proc/no/such/dir/log.db'), { code: 'STORAGE_FAILED' });
});

test('close commits the appends still pending, resolves them, then refuses new ones', async (t) => {
  const file = join(tempDir(t), 'log.db');
  const log = await EventLog.open(file, { durability: 'normal' });
  const pending = Array.from({ length: 20 }, (_, i) => log.append(input(`k${i}`)));
  await log.close();
  assert.deepEqual(
    (await Promise.all(pending)).map((r) => r.event.offset),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  await assert.rejects(log.list({}), { code: 'STORAGE_FAILED' });
  const reopened = await openLog(t, file);
  assert.equal((await reopened.count({})).total, 20);
});

test('appends made in one turn of the loop are committed together, in one transaction', async (t) => {
  const log = await openLog(t);
  const batches: number[] = [];
  log.onCommitted((events) => batches.push(events.length));
  await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(input(`k${i}`))));
  assert.deepEqual(batches, [50]);
});
