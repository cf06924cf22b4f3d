import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { test, type TestContext } from 'node:test';
import type { Client } from 'aedes';
import mqtt from 'mqtt';
import { freePort, startTestBroker } from '../helpers.ts';
import { RawMqtt } from '../raw-mqtt.ts';

/** A port held by another server for the test's duration. */
async function holdPort(t: TestContext): Promise<number> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as { port: number }).port;
}

/** Resolves once nothing listens on `port` any more (something could listen on it again). */
async function assertFree(port: number): Promise<void> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  server.close();
  await once(server, 'close');
}

test('a subscriber that stops reading is disconnected; a healthy one keeps receiving and publishers keep being acked', async (t) => {
  const broker = await startTestBroker(t, { maxQueuedBytes: 256 * 1024 });
  const stuck = await RawMqtt.connect(t, broker.port, { clientId: 'stuck', keepalive: 0 });
  await stuck.subscribe('ns/default/#', 1);
  stuck.stopReading();
  const stuckGone = new Promise<void>((resolve) =>
    broker.aedes.on('clientDisconnect', (client: Client) => {
      if (client.id === 'stuck') resolve();
    }),
  );
  let stuckConnected = true;
  void stuckGone.then(() => (stuckConnected = false));

  const healthy = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.after(() => healthy.endAsync(true));
  const received = new Set<number>();
  let all = { count: Infinity, reached: () => {} };
  healthy.on('message', (_topic, payload) => {
    received.add((JSON.parse(payload.toString()) as { offset: number }).offset);
    if (received.size >= all.count) all.reached();
  });
  await healthy.subscribeAsync('ns/default/#', { qos: 1 });
  const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.after(() => publisher.endAsync(true));

  // 8 KiB events until the stuck subscriber's kernel buffers and then its 256 KiB bound are full.
  const value = 'x'.repeat(8 * 1024);
  let published = 0;
  while (stuckConnected) {
    assert.ok(published < 20_000, 'the stuck subscriber was never disconnected');
    await Promise.all(
      Array.from({ length: 20 }, () => publisher.publishAsync('ns/default/load', value, { qos: 1 })),
    );
    published += 20;
  }
  await stuckGone;
  for (let i = 0; i < 20; i += 1) await publisher.publishAsync('ns/default/after', 'v', { qos: 1 });
  published += 20;

  if (received.size < published) {
    await new Promise<void>((resolve) => (all = { count: published, reached: resolve }));
  }
  assert.equal(received.size, published, 'the healthy subscriber got every event');
  const cut = broker.records.filter((r) => r.fields.code === 'SLOW_CONSUMER');
  assert.deepEqual(
    cut.map((r) => r.fields.client),
    ['stuck'],
  );
  assert.match(String(cut[0]!.fields.reason), /bytes queued, the limit is 10000 \/ 262144$/);
});

test('a busy WebSocket port is a clear PORT_IN_USE error, and nothing is left listening', async (t) => {
  const held = await holdPort(t);
  const tcpPort = await freePort();
  await assert.rejects(
    startTestBroker(t, { port: tcpPort, wsPort: held }),
    (error: Error & { code: string }) => {
      assert.equal(error.code, 'PORT_IN_USE');
      assert.match(
        error.message,
        new RegExp(`^port ${held} on 127\\.0\\.0\\.1 is already in use .*--ws-port`),
      );
      return true;
    },
  );
  await assertFree(tcpPort);
});

test('a busy TCP port held by another server is a clear PORT_IN_USE error', async (t) => {
  const held = await holdPort(t);
  await assert.rejects(startTestBroker(t, { port: held, wsPort: 0 }), (error: Error & { code: string }) => {
    assert.equal(error.code, 'PORT_IN_USE');
    assert.match(error.message, /--port or AIFLOW_PORT$/);
    return true;
  });
});
