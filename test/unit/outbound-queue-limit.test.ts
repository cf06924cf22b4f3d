import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client, PublishPacket } from 'aedes';
import { OutboundQueueLimit } from '../../broker/outbound-queue-limit.ts';

/** A client whose connection reports `writableLength` bytes still buffered. */
function fakeClient(): Client & { conn: { writableLength: number } } {
  return { id: 'c', conn: { writableLength: 0 } } as unknown as Client & { conn: { writableLength: number } };
}

const packet = (payloadBytes: number): PublishPacket =>
  ({
    cmd: 'publish',
    topic: 'ns/d/k',
    payload: Buffer.alloc(payloadBytes),
    qos: 1,
    retain: false,
    dup: false,
  }) as PublishPacket;

// Each delivery below is 9 + 6 + 85 = 100 bytes by the limit's estimate.
const message = packet(85);

test('counts only the messages whose bytes the connection still buffers', () => {
  const cut: string[] = [];
  const limit = new OutboundQueueLimit(3, 1_000_000, (_c, reason) => cut.push(reason));
  const client = fakeClient();
  for (let i = 0; i < 10; i += 1) assert.ok(limit.admit(client, message), 'flushed at once: never queued');
  client.conn.writableLength = 100; // the last one is still buffered
  assert.ok(limit.admit(client, message));
  client.conn.writableLength = 200;
  assert.ok(limit.admit(client, message));
  client.conn.writableLength = 300;
  assert.equal(limit.admit(client, message), false, 'a fourth queued message is over the bound of 3');
  assert.deepEqual(cut, ['4 messages / 400 bytes queued, the limit is 3 / 1000000']);
  client.conn.writableLength = 0;
  assert.equal(limit.admit(client, message), false, 'a cut client gets nothing more');
  assert.equal(cut.length, 1, 'reported once');
});

test('cuts a client whose buffered bytes pass the byte bound, whatever the message count', () => {
  const cut: string[] = [];
  const limit = new OutboundQueueLimit(1_000, 1_000, (_c, reason) => cut.push(reason));
  const client = fakeClient();
  client.conn.writableLength = 950;
  assert.equal(limit.admit(client, message), false);
  assert.deepEqual(cut, ['1 messages / 1050 bytes queued, the limit is 1000 / 1000']);
  const other = fakeClient();
  other.conn.writableLength = 900;
  assert.ok(limit.admit(other, message), 'bounds are per client');
});

test('hands bytes held back for the turn to the socket before counting them against the client', () => {
  const cut: string[] = [];
  const flushed: string[] = [];
  const client = fakeClient();
  // The socket takes whatever it is handed: only the coalesced writes of this turn were buffered.
  const limit = new OutboundQueueLimit(
    3,
    1_000_000,
    (_c, reason) => cut.push(reason),
    (c) => {
      flushed.push(c.id);
      client.conn.writableLength = 0;
    },
  );
  for (let i = 0; i < 10; i += 1) {
    assert.ok(limit.admit(client, message), `message ${i} is admitted`);
    client.conn.writableLength += 100; // written, held back until the end of the turn
  }
  assert.deepEqual(cut, []);
  assert.ok(flushed.length >= 2, 'flushed each time the bound was reached');
});

test('still cuts a client whose socket takes nothing when flushed', () => {
  const cut: string[] = [];
  let flushes = 0;
  const limit = new OutboundQueueLimit(
    3,
    1_000_000,
    (_c, reason) => cut.push(reason),
    () => (flushes += 1),
  );
  const client = fakeClient();
  for (let i = 0; i < 3; i += 1) {
    assert.ok(limit.admit(client, message));
    client.conn.writableLength += 100;
  }
  assert.equal(limit.admit(client, message), false);
  assert.equal(flushes, 1);
  assert.deepEqual(cut, ['4 messages / 400 bytes queued, the limit is 3 / 1000000']);
});
