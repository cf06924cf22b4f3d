import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { createFrameGuard, type FrameViolation } from '../../broker/frame-guard.ts';

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
    const tripped: FrameViolation[] = [];
    const guard = createFrameGuard(2100, (v) => tripped.push(v));
    for (let i = 0; i < stream.length; i += size) guard(stream.subarray(i, i + size));
    assert.deepEqual(tripped, [], `chunk size ${size}`);
  }
});

test('reports an oversized packet from its header, before its body arrives', () => {
  const tripped: FrameViolation[] = [];
  const guard = createFrameGuard(1000, (v) => tripped.push(v));
  const big = publish(200_000);
  guard(publish(10));
  guard(big.subarray(0, 3)); // fixed header + 2 of 3 length bytes
  assert.equal(tripped.length, 0);
  guard(big.subarray(3, 5));
  assert.equal(tripped.length, 1);
  assert.equal(tripped[0]!.code, 'PACKET_TOO_LARGE');
  assert.match(tripped[0]!.reason, /^packet of 2\d{5} bytes exceeds 1000$/);
  guard(big.subarray(5));
  assert.equal(tripped.length, 1, 'reported once');
});

/** A QoS 0 PUBLISH whose topic bytes are given as they go on the wire. */
function publishWithTopicBytes(topic: Buffer): Buffer {
  const payload = Buffer.from('v');
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, payload]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

test('reports a PUBLISH topic that is not UTF-8, across any chunking, and accepts U+FFFD itself', () => {
  const valid = publishWithTopicBytes(Buffer.from('ns/default/\uFFFD-é'));
  const invalid = publishWithTopicBytes(Buffer.from([0x6e, 0x73, 0x2f, 0xc3, 0x28]));
  const stream = Buffer.concat([valid, mqttPacket.generate({ cmd: 'pingreq' }), valid, invalid, valid]);
  for (const size of [1, 2, 5, stream.length]) {
    const tripped: FrameViolation[] = [];
    const guard = createFrameGuard(1000, (v) => tripped.push(v));
    for (let i = 0; i < stream.length; i += size) guard(stream.subarray(i, i + size));
    assert.deepEqual(
      tripped.map((v) => v.code),
      ['INVALID_TOPIC'],
      `chunk size ${size}`,
    );
  }
});
