import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { EventLog } from '../../broker/event-log.ts';
import { PRUNE_BATCH } from '../../broker/event-log-pruner.ts';
import { tempDir } from '../helpers.ts';

async function openLog(t: TestContext): Promise<EventLog> {
  const log = await EventLog.open(join(tempDir(t), 'log.db'), { durability: 'normal' });
  t.after(() => log.close());
  return log;
}

async function fill(log: EventLog, namespace: string, count: number, sender = 's') {
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      log.append({ namespace, key: `k${i % 3}`, value: String(i), sender }),
    ),
  );
  return results.map((r) => r.event);
}

const offsets = async (log: EventLog, namespace: string) =>
  (await log.list({ namespace }, 100_000)).map((e) => e.offset);

test('keep N per namespace: a dry run counts, the prune removes exactly those and keeps counters exact', async (t) => {
  const log = await openLog(t);
  const a = await fill(log, 'a', 10);
  const b = await fill(log, 'b', 3);
  const latest = await log.timeToOffset();

  const dry = await log.prune({ maxOffset: latest, keepPerNamespace: 4, dryRun: true });
  assert.deepEqual(dry, {
    removed: 6,
    byNamespace: [{ namespace: 'a', removed: 6 }],
    maxOffset: latest,
    dryRun: true,
  });
  assert.equal((await offsets(log, 'a')).length, 10, 'a dry run removes nothing');

  const done = await log.prune({ maxOffset: latest, keepPerNamespace: 4 });
  assert.equal(done.removed, 6);
  assert.deepEqual(
    await offsets(log, 'a'),
    a.slice(6).map((e) => e.offset),
  );
  assert.deepEqual(
    await offsets(log, 'b'),
    b.map((e) => e.offset),
    'nothing else removed',
  );
  assert.equal((await log.count({ namespace: 'a' })).total, 4);
  assert.equal(
    (await log.count({ namespace: 'a', keys: ['k0'] })).total,
    a.slice(6).filter((e) => e.key === 'k0').length,
  );
});

test('nothing above maxOffset (the scheduler checkpoint) is ever removed, and offsets are not reused', async (t) => {
  const log = await openLog(t);
  const events = await fill(log, 'a', 20);
  const checkpoint = events[11]!.offset;
  const result = await log.prune({ maxOffset: checkpoint, keepPerNamespace: 0 });
  assert.equal(result.removed, 12);
  assert.deepEqual(
    await offsets(log, 'a'),
    events.slice(12).map((e) => e.offset),
  );

  await log.prune({ maxOffset: await log.timeToOffset(), keepPerNamespace: 0 });
  assert.deepEqual(await offsets(log, 'a'), []);
  const next = await log.append({ namespace: 'a', key: 'k', value: '', sender: 's' });
  assert.equal(
    next.event.offset,
    events.at(-1)!.offset + 1,
    'the next offset follows the highest ever given',
  );
  assert.deepEqual((await log.count({ namespace: 'a' })).bySender, [{ sender: 's', count: 1 }]);
});

test('older than: events created before the cut go, across batches, while appends go on', async (t) => {
  const log = await openLog(t);
  const old = await fill(log, 'a', PRUNE_BATCH + 7);
  // The next events must have a later millisecond than the old ones: wait for the clock to pass it.
  while (Date.now() <= old.at(-1)!.createTime) await new Promise((resolve) => setImmediate(resolve));
  const cut = Date.now();
  const recent = await fill(log, 'a', 5);
  const pruning = log.prune({ maxOffset: await log.timeToOffset(), createdBefore: cut });
  const during = await fill(log, 'a', 3);
  assert.equal((await pruning).removed, PRUNE_BATCH + 7);
  assert.deepEqual(
    await offsets(log, 'a'),
    [...recent, ...during].map((e) => e.offset),
  );
});
