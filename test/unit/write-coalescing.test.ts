import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { test } from 'node:test';
import mqtt from 'mqtt-packet';
import { coalesceWrites, flushWrites } from '../../broker/write-coalescing.ts';

/** A connection that records each write the socket would make: one entry per system call. */
function recordingStream(): { stream: Duplex; calls: Buffer[][] } {
  const calls: Buffer[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      calls.push([chunk]);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.map((c) => c.chunk as Buffer));
      callback();
    },
  });
  return { stream, calls };
}

const puback = (messageId: number) => ({ cmd: 'puback' as const, messageId });
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Writes each packet from its own immediate, as Aedes does for PUBACKs and deliveries. */
async function writeFromImmediates(stream: Duplex, count: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            mqtt.writeToStream(puback(i + 1), stream);
            resolve();
          }),
        ),
    ),
  );
}

test('packets written in one turn leave in one write, whole and in order', async () => {
  const { stream, calls } = recordingStream();
  coalesceWrites(stream);
  await writeFromImmediates(stream, 100);
  await turn();
  await turn();
  assert.equal(calls.length, 1, `one write for 100 packets, got ${calls.length}`);
  const expected = Buffer.concat(Array.from({ length: 100 }, (_, i) => mqtt.generate(puback(i + 1))));
  assert.deepEqual(Buffer.concat(calls.flat()), expected);
});

test('without coalescing, each of those packets is a write of its own (what the broker avoids)', async () => {
  const { stream, calls } = recordingStream();
  await writeFromImmediates(stream, 100);
  await turn();
  assert.equal(calls.length, 100);
});

test('a packet written before a close queued after it is sent before the close', async () => {
  const { stream, calls } = recordingStream();
  coalesceWrites(stream);
  mqtt.writeToStream(puback(7), stream);
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      stream.destroy();
      resolve();
    }),
  );
  assert.deepEqual(Buffer.concat(calls.flat()), mqtt.generate(puback(7)));
});

test('end() sends what is held back, then finishes', async () => {
  const { stream, calls } = recordingStream();
  coalesceWrites(stream);
  mqtt.writeToStream(puback(1), stream);
  mqtt.writeToStream(puback(2), stream);
  await new Promise<void>((resolve) => stream.end(resolve));
  assert.deepEqual(
    Buffer.concat(calls.flat()),
    Buffer.concat([mqtt.generate(puback(1)), mqtt.generate(puback(2))]),
  );
});

test('flushWrites hands the held bytes to the socket at once', () => {
  const { stream, calls } = recordingStream();
  coalesceWrites(stream);
  mqtt.writeToStream(puback(1), stream);
  assert.equal(calls.length, 0, 'held until the end of the turn');
  assert.equal(stream.writableLength, mqtt.generate(puback(1)).length);
  flushWrites(stream);
  assert.equal(calls.length, 1);
  assert.equal(stream.writableLength, 0);
});
