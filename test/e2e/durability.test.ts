import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { Collector, connectClient, deferred, freePort, startServerProcess, tempDir } from '../helpers.ts';

const N = 500;

test('events acknowledged before a SIGKILL are all there after restart, and a listener gets each once', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const server = await startServerProcess(t, { home, port });

  const listenerClient = await connectClient(t, url);
  const collector = new Collector();
  await listenerClient.registerListener(collector, { eventKeys: ['reading'] });

  const producer = await mqtt.connectAsync(url, { clientId: 'producer', reconnectPeriod: 0 });
  producer.on('error', () => undefined);
  const acked = await Promise.all(
    Array.from({ length: N }, (_, i) => producer.publishAsync('ns/default/reading', `r${i}`, { qos: 1 })),
  );
  assert.equal(acked.length, N);
  server.kill('SIGKILL'); // right after the last PUBACK
  await once(server, 'exit');
  producer.end(true);
  const receivedBeforeKill = collector.events.length;

  const reconnected = deferred();
  listenerClient.once('reconnected', () => reconnected.resolve());
  await startServerProcess(t, { home, port });
  await reconnected.promise;

  const reader = await connectClient(t, url);
  const stored = await reader.listEvents({ keys: ['reading'] });
  assert.equal(stored.length, N);
  assert.deepEqual(
    stored.map((e) => e.offset),
    Array.from({ length: N }, (_, i) => i + 1),
  );
  assert.deepEqual(
    new Set(stored.map((e) => e.value)),
    new Set(Array.from({ length: N }, (_, i) => `r${i}`)),
  );

  await collector.waitFor(N);
  await reader.sendEvent('reading', 'after restart');
  await collector.waitFor(N + 1);
  assert.deepEqual(
    collector.offsets,
    Array.from({ length: N + 1 }, (_, i) => i + 1),
    `each exactly once (${receivedBeforeKill} had arrived before the kill)`,
  );
});
