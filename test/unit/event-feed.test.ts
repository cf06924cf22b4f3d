import assert from 'node:assert/strict';
import { test } from 'node:test';
import { feedPackets } from '../../broker/event-feed.ts';
import { decodeEventBatch, encodeEvent, type Event } from '../../protocol/event.ts';

const event = (offset: number): Event => ({
  offset,
  key: `k${offset}`,
  value: offset % 2 === 0 ? '' : 'v,"]',
  namespace: 'default',
  sender: 's',
  context: offset % 3 === 0 ? '{"workflowExecutionId":1}' : null,
  createTime: 1_700_000_000_000 + offset,
});

test('a commit goes to the feed as few messages of at most 500 events, decoded back in offset order', () => {
  const events = Array.from({ length: 1_201 }, (_, i) => event(i + 1));
  const packets = feedPackets(events.map(encodeEvent));
  assert.deepEqual(
    packets.map((p) => [p.topic, p.qos, p.retain]),
    [
      ['$aiflow/feed', 1, false],
      ['$aiflow/feed', 1, false],
      ['$aiflow/feed', 1, false],
    ],
  );
  const decoded = packets.map((p) => decodeEventBatch(p.payload as Buffer));
  assert.deepEqual(
    decoded.map((batch) => batch.length),
    [500, 500, 201],
  );
  assert.deepEqual(decoded.flat(), events);
});

test('one event is one message; a commit without events is none', () => {
  assert.equal(feedPackets([encodeEvent(event(7))]).length, 1);
  assert.deepEqual(feedPackets([]), []);
});

test('a feed payload that is not an array of envelopes is INVALID_PAYLOAD', () => {
  for (const payload of ['{', '{"offset":1}', '[{"offset":1}]', '[1]']) {
    assert.throws(() => decodeEventBatch(payload), { code: 'INVALID_PAYLOAD' }, payload);
  }
  assert.deepEqual(decodeEventBatch('[]'), []);
});
