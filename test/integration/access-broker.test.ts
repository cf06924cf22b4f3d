// Access control at the broker: logins, topic rights by role, $SYS, reply topics, client ids, senders.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { AIFlowNotificationClient } from '../../client/index.ts';
import { connackCode, connectAs, passwordOf, startSecuredBroker } from '../access-support.ts';
import { requireProgram, run, withinHangGuard } from '../helpers.ts';

const USERS = {
  alice: ['publisher@plant-1'],
  bob: ['viewer@plant-2'],
  root: ['admin@*'],
};

test('a wrong password, an unknown user or a missing password get CONNACK 5, logged with the reason', async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS });
  assert.equal(await connackCode(broker, { username: 'alice', password: 'not-her-password' }), 5);
  assert.equal(await connackCode(broker, { username: 'mallory', password: 'whatever-it-is' }), 5);
  assert.equal(await connackCode(broker, { username: 'alice' }), 5);
  assert.equal(await connackCode(broker, { username: 'alice', password: passwordOf('alice') }), 0);
  const refused = broker.records
    .filter((r) => r.message === 'connection refused')
    .map((r) => r.fields.reason);
  assert.deepEqual(refused, [
    'wrong user name or password for alice',
    'wrong user name or password for mallory',
    'no password given for alice',
  ]);
});

test('a publisher sends events to its namespace only; a cross-namespace publish cuts the connection', async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS });
  const alice = await connectAs(t, broker, 'alice');
  await alice.publishAsync('ns/plant-1/temp', '21', { qos: 1 });
  const closed = closeOf(alice);
  alice.publish('ns/plant-2/temp', '99', { qos: 1 });
  await withinHangGuard(closed, 'the connection is cut');
  const events = await broker.log.list({});
  assert.deepEqual(
    events.map((e) => [e.namespace, e.key, e.sender]),
    [['plant-1', 'temp', 'alice']],
  );
  assert.ok(
    broker.records.some(
      (r) => r.fields.code === 'FORBIDDEN' && /namespace plant-2/.test(String(r.fields.reason)),
    ),
  );
});

test('a subscription is granted in namespaces the caller may view; filters across namespaces are refused', async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS });
  const bob = await connectAs(t, broker, 'bob');
  const filters = [
    'ns/plant-2/#',
    'ns/plant-1/#',
    'ns/+/temp',
    'ns/#',
    '$aiflow/feed',
    '#',
    '+/plant-2/x',
    'plain/topic',
  ];
  const granted = [];
  for (const filter of filters) granted.push([filter, await grantedQos(bob, filter)]);
  assert.deepEqual(granted, [
    ['ns/plant-2/#', 1],
    ['ns/plant-1/#', 128],
    ['ns/+/temp', 128],
    ['ns/#', 128],
    ['$aiflow/feed', 128],
    ['#', 128],
    ['+/plant-2/x', 128],
    ['plain/topic', 1],
  ]);
  const root = await connectAs(t, broker, 'root');
  assert.equal(await grantedQos(root, '#'), 1);
  assert.equal(await grantedQos(root, '$aiflow/feed'), 1);
});

test('$SYS is readable by admins only and writable by nobody', async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS });
  const alice = await connectAs(t, broker, 'alice');
  assert.equal(await grantedQos(alice, '$SYS/#', 0), 128);
  const anonymous = await connectAs(t, broker, null);
  assert.equal(await grantedQos(anonymous, '$SYS/#', 0), 128);
  const root = await connectAs(t, broker, 'root');
  assert.equal(await grantedQos(root, '$SYS/#', 0), 0);
  const closed = closeOf(alice);
  alice.publish('$SYS/anything/new/clients', 'x', { qos: 1 });
  await withinHangGuard(closed, 'a $SYS publish cuts the connection');
});

test("a client may read its own reply topic only, not another client's", async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS });
  const alice = await connectAs(t, broker, 'alice', { clientId: 'alice-laptop' });
  const root = await connectAs(t, broker, 'root', { clientId: 'root-console' });
  assert.equal(await grantedQos(alice, '$aiflow/reply/root-console', 1), 128);
  assert.equal(await grantedQos(root, '$aiflow/reply/alice-laptop', 1), 128);
  assert.equal(await grantedQos(alice, '$aiflow/reply/alice-laptop', 1), 1);
});

test('a client id held by one identity cannot be taken over by another; the same identity may take it', async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS });
  const alice = await connectAs(t, broker, 'alice', { clientId: 'pump-3' });
  const stolen = await connackCode(broker, {
    clientId: 'pump-3',
    username: 'bob',
    password: passwordOf('bob'),
  });
  assert.equal(stolen, 5);
  assert.equal(await connackCode(broker, { clientId: 'pump-3' }), 5, 'anonymous cannot take it either');
  assert.ok(alice.connected, 'the holder keeps its connection');
  const closed = closeOf(alice);
  const again = await connectAs(t, broker, 'alice', { clientId: 'pump-3' });
  await withinHangGuard(closed, 'the older connection of the same identity is replaced');
  assert.ok(again.connected);
  assert.ok(
    broker.records.some((r) => /held by alice; bob may not take it over/.test(String(r.fields.reason))),
  );
});

test('connections per identity are capped', async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS }, { maxConnectionsPerIdentity: 2 });
  await connectAs(t, broker, 'alice');
  await connectAs(t, broker, 'alice');
  assert.equal(await connackCode(broker, { username: 'alice', password: passwordOf('alice') }), 5);
  assert.equal(await connackCode(broker, { username: 'bob', password: passwordOf('bob') }), 0);
});

test('the sender is the authenticated identity; a forged sender is kept only as a label', async (t) => {
  const { broker } = await startSecuredBroker(t, { users: USERS });
  const forger = await AIFlowNotificationClient.connect({
    server: broker.url,
    namespace: 'plant-1',
    sender: 'aiflow-scheduler',
    credentials: { username: 'alice', password: passwordOf('alice') },
  });
  t.after(() => forger.close());
  const event = await forger.sendEvent('valve', 'open');
  assert.equal(event.sender, 'alice (label: aiflow-scheduler)');
  const plain = await AIFlowNotificationClient.connect({
    server: broker.url,
    namespace: 'plant-1',
    credentials: { username: 'alice', password: passwordOf('alice') },
  });
  t.after(() => plain.close());
  assert.equal((await plain.sendEvent('valve', 'shut')).sender, 'alice');
});

test('anonymous clients on loopback publish to default only; a token logs in with mosquitto_pub', async (t) => {
  if (!requireProgram(t, 'mosquitto_pub', 'apt-get install mosquitto-clients')) return;
  const { broker, tokens } = await startSecuredBroker(t, { tokens: { 'sensor-1': ['publisher@plant-1'] } });
  const port = String(broker.port);
  const pub = (...args: string[]) =>
    run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', ...args]);
  assert.equal((await pub('-t', 'ns/default/k', '-m', 'v')).code, 0);
  assert.notEqual((await pub('-t', 'ns/plant-1/k', '-m', 'v')).code, 0);
  const token = tokens.get('sensor-1')!;
  assert.equal((await pub('-u', 'sensor-1', '-P', token, '-t', 'ns/plant-1/temp', '-m', '20')).code, 0);
  assert.notEqual((await pub('-u', 'sensor-1', '-P', token, '-t', 'ns/default/temp', '-m', '20')).code, 0);
  assert.notEqual((await pub('-u', 'other-name', '-P', token, '-t', 'ns/plant-1/temp', '-m', '20')).code, 0);
  const events = await broker.log.list({});
  assert.deepEqual(
    events.map((e) => [e.namespace, e.key, e.sender]),
    [
      ['default', 'k', 'anonymous'],
      ['plant-1', 'temp', 'sensor-1'],
    ],
  );
});

function closeOf(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

/** The QoS the broker grants a subscription, 128 for a refusal (MQTT.js rejects the whole SUBACK then). */
async function grantedQos(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<number> {
  try {
    return (await client.subscribeAsync(filter, { qos }))[0]?.qos ?? -1;
  } catch (error) {
    assert.match(String(error), /Subscribe error/);
    return 128;
  }
}
