import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventLog } from '../../broker/event-log.ts';
import { createLogger } from '../../broker/logger.ts';
import { tempDir } from '../helpers.ts';
import { generatedEvent, writeLegacyLog } from '../legacy-event-log.ts';

const COUNT = 1_000_000;
const T0 = 1_700_000_000_000;

// Correctness on a log of the size the query costs are promised for; the costs themselves are measured in
// bench/event-log-queries.bench.ts, never here.
test('queries on a 1M-event log (upgraded from the previous schema) return the right rows', async (t) => {
  const file = join(tempDir(t), 'log.db');
  writeLegacyLog(file, COUNT, T0);
  const log = await EventLog.open(file, { durability: 'normal', logger: createLogger('error', () => {}) });
  t.after(() => log.close());

  // A listener of namespace `other` (every 10th event) catching up from offset 0, page by page.
  let after = 0;
  let seen = 0;
  for (;;) {
    const page = await log.list({ namespace: 'other', beginOffset: after }, 10_000);
    if (page.length === 0) break;
    for (const event of page) {
      assert.equal(event.offset, seen * 10 + 1); // events 0, 10, 20, ... are in `other`
      assert.equal(event.namespace, 'other');
      after = event.offset;
      seen++;
    }
  }
  assert.equal(seen, COUNT / 10);

  const first = await log.list({}, 3);
  assert.deepEqual(
    first.map((e) => [e.offset, e.key, e.value]),
    [
      [1, 'k0', 'value-0'],
      [2, 'k1', 'value-1'],
      [3, 'k2', 'value-2'],
    ],
  );
  const tail = await log.list({ namespace: 'default', beginOffset: COUNT - 5 });
  assert.deepEqual(
    tail.map((e) => e.offset),
    [COUNT - 4, COUNT - 3, COUNT - 2, COUNT - 1, COUNT],
  );
  const keyed = await log.list({ namespace: 'default', keys: ['k7', 'k13'], beginOffset: 500_000 }, 4);
  assert.deepEqual(
    keyed.map((e) => e.offset),
    [500_008, 500_014, 500_108, 500_114],
  );

  assert.equal((await log.count({})).total, COUNT);
  assert.deepEqual(await log.count({ namespace: 'other' }), {
    total: COUNT / 10,
    bySender: [
      { sender: 's0', count: COUNT / 20 },
      { sender: 's2', count: COUNT / 20 },
    ],
  });
  assert.equal((await log.count({ namespace: 'default', keys: ['k7'] })).total, COUNT / 100);
  assert.equal((await log.count({ sender: 's1' })).total, COUNT / 4);
  assert.equal((await log.count({ beginOffset: COUNT - 1000 })).total, 1000);
  assert.equal((await log.count({ namespace: 'other', beginTime: T0 + 9000 })).total, 10_000);

  assert.equal(await log.timeToOffset(), COUNT);
  assert.equal(await log.timeToOffset(T0 - 1), 0);
  assert.equal(await log.timeToOffset(T0 + 5000), 500_100);
  const at = generatedEvent(123_456, T0).createTime;
  assert.equal(await log.timeToOffset(at), (Math.floor(123_456 / 100) + 1) * 100);

  assert.equal(
    (await log.append({ namespace: 'other', key: 'new', value: '', sender: 's9' })).event.offset,
    COUNT + 1,
  );
  assert.equal((await log.count({ namespace: 'other' })).total, COUNT / 10 + 1);
});
