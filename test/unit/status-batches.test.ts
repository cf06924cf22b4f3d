import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS } from '../../protocol/limits.ts';
import { nextBatch } from '../../scheduler/status-publisher.ts';

/** Consecutive batches from the head of `pending`, as the publisher sends them. */
function batchesOf(pending: readonly OutboxRecord[], count: number): OutboxRecord[][] {
  const batches: OutboxRecord[][] = [];
  for (let from = 0; batches.length < count && from < pending.length;) {
    const batch = nextBatch(pending, from);
    batches.push(batch);
    from += batch.length;
  }
  return batches;
}
import type { OutboxRecord } from '../../scheduler/store/records.ts';

const record = (id: number, value = 'stopped'): OutboxRecord => ({
  id,
  eventId: `e-${id}`,
  namespace: 'default',
  key: '$task/wf/t',
  value,
  context: '{}',
});

test('batches keep the outbox order, each within the request size, and never more than asked for', () => {
  const pending = Array.from({ length: 2_000 }, (_, i) => record(i + 1, 'x'.repeat(100)));
  const batches = batchesOf(pending, 3);
  assert.equal(batches.length, 3);
  const ids = batches.flat().map((r) => r.id);
  assert.deepEqual(
    ids,
    Array.from({ length: ids.length }, (_, i) => i + 1),
  );
  for (const batch of batches) {
    assert.ok(JSON.stringify(batch).length < 64 * 1024);
    assert.ok(batch.length <= LIMITS.maxSendBatch);
  }
});

test('an event larger than a batch travels alone', () => {
  const pending = [record(1), record(2, 'x'.repeat(100_000)), record(3)];
  assert.deepEqual(
    batchesOf(pending, 5).map((b) => b.map((r) => r.id)),
    [[1], [2], [3]],
  );
});
