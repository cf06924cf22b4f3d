import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import mqtt from 'mqtt';
import { AIFlowNotificationClient, SchedulerClient } from '../../client/index.ts';
import { decodeServerInfo, encodeServerInfo, PROTOCOL_VERSION } from '../../protocol/server-info.ts';
import { SERVER_INFO_TOPIC } from '../../protocol/topics.ts';
import { PACKAGE_VERSION } from '../../protocol/version.ts';
import { connectClient, ROOT, startTestBroker } from '../helpers.ts';

const MOSQUITTO_URL = 'mqtt://127.0.0.1:1883';

/** The machine's Mosquitto service on 1883: skipped when it is down on a developer's machine, a failure under CI. */
async function requireMosquitto(t: TestContext): Promise<boolean> {
  const socket = connect(1883, '127.0.0.1');
  const up = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
    socket.setTimeout(2_000, () => resolve(false));
  });
  socket.destroy();
  if (up) return true;
  const message =
    'no MQTT broker on 127.0.0.1:1883 (start one: mosquitto -d -c /etc/mosquitto/mosquitto.conf)';
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

test('the SDK connects to an aiflow server and reads its announcement', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  assert.equal((await client.sendEvent('k', 'v')).key, 'k');
});

test('the SDK and the scheduler client refuse a broker that is not an aiflow server', async (t) => {
  if (!(await requireMosquitto(t))) return;
  await assert.rejects(AIFlowNotificationClient.connect({ server: MOSQUITTO_URL }), {
    code: 'NOT_AIFLOW_SERVER',
    message: `${MOSQUITTO_URL} answers MQTT but is not an aiflow server`,
  });
  await assert.rejects(SchedulerClient.connect({ server: MOSQUITTO_URL }), { code: 'NOT_AIFLOW_SERVER' });
});

test('a client cannot overwrite the announcement', async (t) => {
  const broker = await startTestBroker(t);
  const raw = await mqtt.connectAsync(broker.url, { clientId: 'forger', reconnectPeriod: 0 });
  t.after(() => raw.endAsync(true));
  // A reserved topic: the broker refuses it by closing the connection (MQTT 3.1.1 has no negative PUBACK).
  const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
  raw.publish(SERVER_INFO_TOPIC, 'forged', { qos: 1, retain: true });
  await closed;
  assert.ok(broker.records.some((r) => r.fields.code === 'RESERVED_TOPIC' && r.fields.client === 'forger'));
  // The announcement is intact: a new client still recognises the server.
  const client = await connectClient(t, broker.url);
  assert.equal((await client.sendEvent('k', 'v')).key, 'k');
});

test('the announcement names the product, version and protocol; other protocols are refused', () => {
  const info = {
    product: 'aiflow-mqtt',
    version: '9.9.9',
    protocol: PROTOCOL_VERSION,
    startTime: 1,
  } as const;
  assert.deepEqual(decodeServerInfo(encodeServerInfo(info), 'u'), info);
  assert.throws(() => decodeServerInfo(Buffer.from('{"product":"other","protocol":1}'), 'u'), {
    code: 'NOT_AIFLOW_SERVER',
  });
  assert.throws(() => decodeServerInfo(Buffer.from('not json'), 'u'), { code: 'NOT_AIFLOW_SERVER' });
  assert.throws(() => decodeServerInfo(encodeServerInfo({ ...info, protocol: PROTOCOL_VERSION + 1 }), 'u'), {
    code: 'NOT_AIFLOW_SERVER',
    message: /protocol 2/,
  });
});

test('the announced version is the package version', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string };
  assert.equal(PACKAGE_VERSION, pkg.version);
});
