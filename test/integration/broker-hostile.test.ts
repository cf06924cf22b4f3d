import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test, type TestContext } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { WebSocket } from 'ws';
import { connectClient, startTestBroker, type TestBroker } from '../helpers.ts';
import { RawMqtt } from '../raw-mqtt.ts';

async function mqttClient(
  t: TestContext,
  url: string,
  options: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  client.on('error', () => undefined); // a refused client sees its connection reset: expected here
  t.after(() => client.endAsync(true));
  return client;
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

function loggedCodes(broker: TestBroker): unknown[] {
  return broker.records.map((r) => r.fields.code).filter((code) => code !== undefined);
}

test('a client may not publish on $SYS: refused, and the client it named stays connected', async (t) => {
  const broker = await startTestBroker(t);
  const victim = await mqttClient(t, broker.url, { clientId: 'victim' });
  const attacker = await mqttClient(t, broker.url, { clientId: 'attacker' });
  const cut = closed(attacker);
  // Aedes disconnects the client id named in this payload: how brokers of one cluster hand clients over.
  attacker.publish(`$SYS/${broker.aedes.id}/new/clients`, 'victim', { qos: 1 });
  await cut;
  assert.deepEqual(loggedCodes(broker), ['RESERVED_TOPIC']);
  await victim.publishAsync('ns/default/still-here', 'yes', { qos: 1 });
  assert.ok(victim.connected);
});

test('[MQTT-1.5.3-1] a PUBLISH whose topic is not UTF-8 closes the connection and stores nothing', async (t) => {
  const broker = await startTestBroker(t);
  const sdk = await connectClient(t, broker.url);
  const client = await RawMqtt.connect(t, broker.port);
  // 'ns/default/' then 0xC3 0x28: a two-byte sequence whose second byte is not a continuation byte.
  const topic = Buffer.concat([Buffer.from('ns/default/'), Buffer.from([0xc3, 0x28])]);
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from([0, 1]), Buffer.from('v')]);
  client.socket.write(Buffer.concat([Buffer.from([0x32 /* PUBLISH, QoS 1 */, body.length]), body]));
  await client.closed;
  assert.equal(
    client.received.some((p) => p.cmd === 'puback'),
    false,
  );
  assert.deepEqual(loggedCodes(broker), ['INVALID_TOPIC']);
  assert.equal((await sdk.countEvents()).total, 0);
  // U+FFFD itself is a valid character: such a topic is an ordinary event key.
  const honest = await mqttClient(t, broker.url);
  await honest.publishAsync('ns/default/\uFFFD', 'ok', { qos: 1 });
  assert.deepEqual(
    (await sdk.listEvents()).map((e) => e.key),
    ['\uFFFD'],
  );
});

test('[MQTT-1.5.3-1] over WebSocket too, a topic that is not UTF-8 closes the connection', async (t) => {
  const broker = await startTestBroker(t, { wsPort: 0 });
  const ws = new WebSocket(`ws://127.0.0.1:${broker.wsPort}/`, 'mqtt');
  t.after(() => ws.terminate());
  const closedWs = once(ws, 'close');
  await once(ws, 'open');
  const connack = once(ws, 'message');
  ws.send(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'w',
      keepalive: 0,
    }),
  );
  await connack;
  const topic = Buffer.concat([Buffer.from('ns/default/'), Buffer.from([0xff])]);
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from('v')]);
  ws.send(Buffer.concat([Buffer.from([0x30 /* PUBLISH, QoS 0 */, body.length]), body]));
  await closedWs;
  assert.deepEqual(loggedCodes(broker), ['INVALID_TOPIC']);
  assert.equal((await broker.log.count({})).total, 0);
});

test('retained messages on plain topics are capped in count and bytes; past the cap the publish is refused', async (t) => {
  const broker = await startTestBroker(t, { maxRetainedMessages: 2, maxRetainedBytes: 1000 });
  const client = await mqttClient(t, broker.url);
  await client.publishAsync('plain/a', 'one', { qos: 1, retain: true });
  await client.publishAsync('plain/b', 'two', { qos: 1, retain: true });
  await client.publishAsync('plain/a', 'replaced', { qos: 1, retain: true }); // same topic: still 2
  await client.publishAsync('plain/c', 'not retained', { qos: 1 });
  const cut = closed(client);
  client.publish('plain/c', 'three', { qos: 1, retain: true });
  await cut;
  assert.deepEqual(loggedCodes(broker), ['RETAINED_LIMIT']);

  // An empty retained payload deletes a retained message [MQTT-3.3.1-10], which makes room again.
  const next = await mqttClient(t, broker.url);
  await next.publishAsync('plain/a', '', { qos: 1, retain: true });
  await next.publishAsync('plain/c', 'three', { qos: 1, retain: true });
  const tooBig = closed(next);
  next.publish('plain/b', 'x'.repeat(1000), { qos: 1, retain: true });
  await tooBig;
  assert.deepEqual(loggedCodes(broker), ['RETAINED_LIMIT', 'RETAINED_LIMIT']);

  const reader = await mqttClient(t, broker.url);
  const retained: string[] = [];
  const both = new Promise<void>((resolve) =>
    reader.on('message', (topic, payload) => {
      retained.push(`${topic}=${payload.toString()}`);
      if (retained.length === 2) resolve();
    }),
  );
  await reader.subscribeAsync('plain/#', { qos: 1 });
  await both;
  assert.deepEqual(retained.sort(), ['plain/b=two', 'plain/c=three']);
});
