import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { test, type TestContext } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { decodeEvent, decodeEventBatch } from '../../protocol/event.ts';
import { deferred, startTestBroker, type TestBroker } from '../helpers.ts';

async function rawClient(
  t: TestContext,
  url: string,
  options: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  client.on('error', () => undefined); // a refused client sees its connection reset: expected here
  t.after(() => client.endAsync(true));
  return client;
}

/** The next emission of an MQTT.js client event, with its arguments. */
function next(client: MqttClient, event: 'close' | 'message'): Promise<unknown[]> {
  return new Promise((resolve) => client.once(event, (...args: unknown[]) => resolve(args)));
}

/** Publishes something the broker must refuse; resolves with the reason it logged once the client is cut off. */
async function expectRejected(broker: TestBroker, client: MqttClient, publish: () => void): Promise<string> {
  const closed = next(client, 'close');
  publish();
  await closed;
  const record = broker.records.find(
    (r) => r.level === 'warn' && r.fields.code !== undefined && !r.fields.seen,
  );
  assert.ok(record, 'the rejection is logged with a code');
  record.fields.seen = true;
  return String(record.fields.code);
}

test('a plain publish on ns/<namespace>/<key> is an event, stored before its PUBACK and fanned out as JSON', async (t) => {
  const broker = await startTestBroker(t);
  const subscriber = await rawClient(t, broker.url);
  await subscriber.subscribeAsync('ns/default/#', { qos: 1 });
  const received = next(subscriber, 'message');
  const publisher = await rawClient(t, broker.url, { clientId: 'sensor-1' });
  await publisher.publishAsync('ns/default/temp/room1', '21.5', { qos: 1 });
  // The PUBACK came after the append, so the event is already in the log.
  assert.deepEqual(
    (await broker.log.list({})).map((e) => [e.offset, e.key, e.value, e.sender]),
    [[1, 'temp/room1', '21.5', 'sensor-1']],
  );
  const [topic, payload] = (await received) as [string, Buffer];
  assert.equal(topic, 'ns/default/temp/room1');
  const event = decodeEvent(payload);
  assert.deepEqual(
    { ...event, createTime: 0 },
    {
      offset: 1,
      key: 'temp/room1',
      value: '21.5',
      namespace: 'default',
      sender: 'sensor-1',
      context: null,
      createTime: 0,
    },
  );
});

test('subscribers receive events in offset order, whichever client produced them', async (t) => {
  const broker = await startTestBroker(t);
  const subscriber = await rawClient(t, broker.url);
  await subscriber.subscribeAsync('ns/default/#', { qos: 1 });
  const offsets: number[] = [];
  const all = deferred();
  subscriber.on('message', (_topic, payload) => {
    offsets.push(decodeEvent(payload).offset);
    if (offsets.length === 300) all.resolve();
  });
  const publishers = await Promise.all([1, 2, 3].map(() => rawClient(t, broker.url)));
  await Promise.all(
    publishers.flatMap((p, i) =>
      Array.from({ length: 100 }, (_, j) =>
        p.publishAsync(`ns/default/p${i}`, String(j), { qos: j % 2 === 0 ? 0 : 1 }),
      ),
    ),
  );
  await all.promise;
  assert.deepEqual(
    offsets,
    Array.from({ length: 300 }, (_, i) => i + 1),
  );
});

test('bad publishes are refused with a logged reason; other clients and stored events are untouched', async (t) => {
  const broker = await startTestBroker(t, { maxPayloadBytes: 1024 });
  const bystander = await rawClient(t, broker.url);
  await bystander.subscribeAsync('ns/default/#', { qos: 1 });
  await bystander.publishAsync('ns/default/before', 'kept', { qos: 1 });

  const cases: [string, (c: MqttClient) => void][] = [
    ['PAYLOAD_TOO_LARGE', (c) => c.publish('ns/default/k', Buffer.alloc(2000, 97), { qos: 1 })],
    ['PACKET_TOO_LARGE', (c) => c.publish('ns/default/k', Buffer.alloc(1_000_000, 97), { qos: 1 })],
    ['INVALID_PAYLOAD', (c) => c.publish('ns/default/k', Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 })],
    ['INVALID_NAMESPACE', (c) => c.publish('ns/bad ns/k', 'x', { qos: 1 })],
    ['INVALID_TOPIC', (c) => c.publish('ns/default', 'x', { qos: 1 })],
    ['INVALID_KEY', (c) => c.publish(`ns/default/${'k'.repeat(600)}`, 'x', { qos: 1 })],
    ['RESERVED_TOPIC', (c) => c.publish('$aiflow/consumed', 'x', { qos: 1 })],
    ['RESERVED_TOPIC', (c) => c.publish('$aiflow/reply/someone', 'x', { qos: 0 })],
  ];
  for (const [code, publish] of cases) {
    const offender = await rawClient(t, broker.url);
    assert.equal(await expectRejected(broker, offender, () => publish(offender)), code);
  }

  assert.ok(bystander.connected, 'the bystander stays connected');
  const after = deferred<string>();
  bystander.on('message', (_topic, payload) => {
    if (decodeEvent(payload).key === 'after') after.resolve(decodeEvent(payload).value);
  });
  await bystander.publishAsync('ns/default/after', 'fine', { qos: 1 });
  assert.deepEqual(
    (await broker.log.list({})).map((e) => e.key),
    ['before', 'after'],
  );
  assert.equal(await after.promise, 'fine');
});

test('a wildcard in a PUBLISH topic disconnects the client with the reason logged', async (t) => {
  const broker = await startTestBroker(t);
  const socket = netConnect(broker.port, '127.0.0.1');
  t.after(() => socket.destroy());
  socket.resume(); // read (and drop) the CONNACK, so that the server's FIN is seen
  await once(socket, 'connect');
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      clientId: 'wild',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
    }),
  );
  socket.write(
    mqttPacket.generate({
      cmd: 'publish',
      topic: 'ns/default/+',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    }),
  );
  await once(socket, 'close');
  assert.ok(
    broker.records.some((r) => r.level === 'warn' && /\+ is not allowed/.test(String(r.fields.reason))),
  );
  assert.equal((await broker.log.count({})).total, 0);
});

test('[MQTT-3.1.3-8] an empty client id with a persistent session is refused with return code 2', async (t) => {
  const broker = await startTestBroker(t);
  const socket = netConnect(broker.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const parser = mqttPacket.parser();
  const connack = deferred<mqttPacket.IConnackPacket>();
  parser.on('packet', (packet) => {
    if (packet.cmd === 'connack') connack.resolve(packet);
  });
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  // Written by hand: mqtt-packet itself refuses to encode this CONNECT.
  const protocol = [0x00, 0x04, ...Buffer.from('MQTT'), 0x04, 0x00 /* clean session off */, 0x00, 0x1e];
  socket.write(Buffer.from([0x10, protocol.length + 2, ...protocol, 0x00, 0x00 /* empty client id */]));
  assert.equal((await connack.promise).returnCode, 2);
  await once(socket, 'close');
});

test('the event feed carries every namespace in offset order; nobody may publish on it', async (t) => {
  const broker = await startTestBroker(t);
  const reader = await rawClient(t, broker.url);
  await reader.subscribeAsync('$aiflow/feed', { qos: 1 });
  const offsets: number[] = [];
  const namespaces = new Set<string>();
  const all = deferred();
  reader.on('message', (topic, payload) => {
    assert.equal(topic, '$aiflow/feed');
    for (const event of decodeEventBatch(payload)) {
      offsets.push(event.offset);
      namespaces.add(event.namespace);
    }
    if (offsets.length === 600) all.resolve();
  });
  const publishers = await Promise.all([1, 2, 3].map(() => rawClient(t, broker.url)));
  await Promise.all(
    publishers.flatMap((p, i) =>
      Array.from({ length: 200 }, (_, j) => p.publishAsync(`ns/plant-${i}/k`, String(j), { qos: 1 })),
    ),
  );
  await all.promise;
  assert.deepEqual(
    offsets,
    Array.from({ length: 600 }, (_, i) => i + 1),
  );
  assert.deepEqual([...namespaces].sort(), ['plant-0', 'plant-1', 'plant-2']);
  const closed = next(reader, 'close');
  reader.publish('$aiflow/feed', '[]', { qos: 1 });
  await closed;
  assert.equal((await broker.log.list({})).length, 600, 'stored events are untouched');
});

test('commits of thousands of events reach topic subscribers and the feed whole and in offset order', async (t) => {
  const broker = await startTestBroker(t);
  const subscriber = await rawClient(t, broker.url);
  await subscriber.subscribeAsync('ns/default/#', { qos: 1 });
  const reader = await rawClient(t, broker.url);
  await reader.subscribeAsync('$aiflow/feed', { qos: 1 });
  const viaTopics: number[] = [];
  const viaFeed: number[] = [];
  const total = 5_000;
  const all = [deferred(), deferred()];
  subscriber.on('message', (_topic, payload) => {
    viaTopics.push(decodeEvent(payload).offset);
    if (viaTopics.length === total) all[0]!.resolve();
  });
  reader.on('message', (_topic, payload) => {
    viaFeed.push(...decodeEventBatch(payload).map((e) => e.offset));
    if (viaFeed.length === total) all[1]!.resolve();
  });
  // Appended in one go: the log commits them in a few large commits, each fanned out in several turns.
  const appends = Array.from({ length: total }, (_, i) =>
    broker.log.append({
      namespace: 'default',
      key: `k${i % 7}`,
      value: String(i),
      sender: 'test',
      context: null,
    }),
  );
  await Promise.all(appends);
  await Promise.all(all.map((d) => d.promise));
  const expected = Array.from({ length: total }, (_, i) => i + 1);
  assert.deepEqual(viaTopics, expected);
  assert.deepEqual(viaFeed, expected);
});

test('reserved topics cannot be subscribed to, except a reply topic', async (t) => {
  const broker = await startTestBroker(t);
  const client = await rawClient(t, broker.url);
  for (const topic of ['$aiflow/rpc', '$aiflow/#', '$aiflow/reply/+', '$aiflow/consumed']) {
    await assert.rejects(client.subscribeAsync(topic, { qos: 1 }), /Subscribe error/, topic);
  }
  const granted = await client.subscribeAsync('$aiflow/reply/me', { qos: 1 });
  assert.equal(granted[0]?.qos, 1);
  assert.ok(client.connected);
});

test('outside ns/ the server is a standard broker: retained messages work', async (t) => {
  const broker = await startTestBroker(t);
  const publisher = await rawClient(t, broker.url);
  await publisher.publishAsync('home/lights', 'on', { qos: 1, retain: true });
  const subscriber = await rawClient(t, broker.url);
  const received = next(subscriber, 'message');
  await subscriber.subscribeAsync('home/#', { qos: 1 });
  const [topic, payload, packet] = (await received) as [string, Buffer, { retain: boolean }];
  assert.deepEqual([topic, payload.toString(), packet.retain], ['home/lights', 'on', true]);
  assert.equal((await broker.log.count({})).total, 0, 'plain topics are not events');
});

test('MQTT over WebSocket reaches the same broker', async (t) => {
  const broker = await startTestBroker(t, { wsPort: 0 });
  assert.ok(broker.wsPort);
  const client = await rawClient(t, `ws://127.0.0.1:${broker.wsPort}`);
  await client.publishAsync('ns/default/from-browser', 'hi', { qos: 1 });
  assert.equal((await broker.log.list({ keys: ['from-browser'] }))[0]?.value, 'hi');
});

test('a malformed request gets an error reply, and the requester stays connected', async (t) => {
  const broker = await startTestBroker(t);
  const client = await rawClient(t, broker.url, { clientId: 'asker' });
  await client.subscribeAsync('$aiflow/reply/asker', { qos: 1 });
  const replies: unknown[] = [];
  const two = deferred();
  client.on('message', (_t, payload) => {
    replies.push(JSON.parse(payload.toString()));
    if (replies.length === 2) two.resolve();
  });
  await client.publishAsync('$aiflow/rpc', 'not json', { qos: 1 });
  await client.publishAsync('$aiflow/rpc', JSON.stringify({ id: 'q', method: 'events.nope' }), { qos: 1 });
  await two.promise;
  assert.deepEqual(replies, [
    { id: '', error: { code: 'INVALID_REQUEST', message: 'request is not JSON' } },
    { id: 'q', error: { code: 'UNKNOWN_METHOD', message: 'unknown method "events.nope"' } },
  ]);
  assert.ok(client.connected);
});

test('a busy port is a clear PORT_IN_USE error', async (t) => {
  const first = await startTestBroker(t);
  await assert.rejects(startTestBroker(t, { port: first.port }), { code: 'PORT_IN_USE' });
});

test('close is idempotent', async (t) => {
  const broker = await startTestBroker(t);
  await broker.close();
  await broker.close();
});
