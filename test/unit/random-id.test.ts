import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomId, timeOrderedId } from '../../protocol/random-id.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('randomId is a version-4 UUID', () => {
  assert.equal(UUID.exec(randomId())?.[1], '4');
});

test('timeOrderedId is a version-7 UUID whose first 48 bits are the time in milliseconds', () => {
  const before = Date.now();
  const id = timeOrderedId();
  const after = Date.now();
  assert.equal(UUID.exec(id)?.[1], '7');
  const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  // The counter may carry an id into the next milliseconds after a burst: at most a few ahead of the clock.
  assert.ok(ms >= before && ms <= after + 5, `${ms} within [${before}, ${after}]`);
});

test('time-ordered ids sort in the order they were made, many in one millisecond included, and never repeat', () => {
  const ids = Array.from({ length: 20_000 }, () => timeOrderedId());
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
});
