import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { createFrameGuard } from '../../broker/frame-guard.ts';

const publish = (bytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'ns/default/k',
    payload: Buffer.alloc(bytes, 97),
    qos: 0,
    retain: false,
    dup: false,
  });

test('lets packets within the limit through, across any chunking', () => {
  const stream = Buffer.concat([
    publish(10),
    publish(1000),
    mqttPacket.generate({ cmd: 'pingreq' }),
    publish(2000),
  ]);
  for (const size of [1, 2, 3, 7, 64, stream.length]) {
    const tripped: number[] = [];
    const guard = createFrameGuard(2100, (n) => tripped.push(n));
    for (let i = 0; i < stream.length; i += size) guard(stream.subarray(i, i + size));
    assert.deepEqual(tripped, [], `chunk size ${size}`);
  }
});

test('reports an oversized packet from its header, before its body arrives', () => {
  const tripped: number[] = [];
  const guard = createFrameGuard(1000, (n) => tripped.push(n));
  const big = publish(200_000);
  guard(publish(10));
  guard(big.subarray(0, 3)); // fixed header + 2 of 3 length bytes
  assert.deepEqual(tripped, []);
  guard(big.subarray(3, 5));
  assert.equal(tripped.length, 1);
  assert.ok(tripped[0]! > 200_000);
  guard(big.subarray(5));
  assert.equal(tripped.length, 1, 'reported once');
});
