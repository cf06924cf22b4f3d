import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { AIFlowNotificationClient } from '../../client/index.ts';
import { Collector, connectClient, deferred, freePort, startTestBroker } from '../helpers.ts';

test('sendEvent returns the stored event; list, count and timeToOffset read it back', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url, {
    sender: 'task-1',
    context: '{"workflowExecutionId":7}',
  });
  const first = await client.sendEvent('greeting', 'hello');
  assert.deepEqual(
    { ...first, createTime: 0 },
    {
      offset: 1,
      key: 'greeting',
      value: 'hello',
      namespace: 'default',
      sender: 'task-1',
      context: '{"workflowExecutionId":7}',
      createTime: 0,
    },
  );
  const second = await client.sendEvent('other', '', { context: 'custom' });
  assert.equal(second.offset, 2);
  assert.equal(second.context, 'custom');
  assert.deepEqual(await client.listEvents(), [first, second]);
  assert.deepEqual(await client.countEvents(), { total: 2, bySender: [{ sender: 'task-1', count: 2 }] });
  assert.equal(await client.timeToOffset(), 2);
  assert.equal(await client.timeToOffset(new Date(first.createTime - 1)), 0);
  assert.equal(await client.timeToOffset(second.createTime), 2);
});

test('every list and count filter works through the server, ordered by offset', async (t) => {
  const broker = await startTestBroker(t);
  const a = await connectClient(t, broker.url, { sender: 'a' });
  const b = await connectClient(t, broker.url, { sender: 'b' });
  const other = await connectClient(t, broker.url, { namespace: 'other', sender: 'a' });
  await a.sendEvent('x', '1');
  await b.sendEvent('y', '2');
  await other.sendEvent('x', '3');
  await a.sendEvent('y', '4');
  const t4 = (await b.sendEvent('x', '5')).createTime;
  const values = async (filter: Parameters<AIFlowNotificationClient['listEvents']>[0]) =>
    (await a.listEvents(filter)).map((e) => e.value).join(',');

  assert.equal(await values({}), '1,2,4,5', 'the client namespace by default');
  assert.equal(await values({ namespace: 'other' }), '3');
  assert.equal(await values({ keys: ['x'] }), '1,5');
  assert.equal(await values({ keys: ['x', 'y'], sender: 'b' }), '2,5');
  assert.equal(await values({ beginOffset: 2 }), '4,5');
  assert.equal(await values({ endOffset: 2 }), '1,2');
  assert.equal(await values({ beginOffset: 1, endOffset: 4 }), '2,4');
  assert.equal(await values({ beginTime: t4 + 1 }), '');
  assert.equal(await values({ limit: 2 }), '1,2');
  assert.deepEqual(await a.countEvents({ keys: ['x'] }), {
    total: 2,
    bySender: [
      { sender: 'a', count: 1 },
      { sender: 'b', count: 1 },
    ],
  });
  assert.deepEqual(await a.countEvents({ namespace: 'other' }), {
    total: 1,
    bySender: [{ sender: 'a', count: 1 }],
  });
  await assert.rejects(a.listEvents({ limit: 0 }), { code: 'INVALID_REQUEST' });
  await assert.rejects(a.listEvents({ namespace: 'no such' }), { code: 'INVALID_NAMESPACE' });
});

test('listing pages through more events than one reply holds', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  const producer = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.after(() => producer.endAsync());
  await Promise.all(
    Array.from({ length: 10_050 }, (_, i) => producer.publishAsync('ns/default/n', String(i), { qos: 1 })),
  );
  const events = await client.listEvents();
  assert.equal(events.length, 10_050);
  assert.ok(events.every((e, i) => e.offset === i + 1));
});

test('a listener receives live events in offset order, from the SDK and from plain MQTT', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  const collector = new Collector();
  await client.registerListener(collector, { eventKeys: ['k', 'sensor/t'] });
  const plain = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.after(() => plain.endAsync());
  await client.sendEvent('k', 'a');
  await plain.publishAsync('ns/default/sensor/t', '20', { qos: 1 });
  await client.sendEvent('ignored', 'x');
  await client.sendEvent('k', 'b');
  await collector.waitFor(3);
  assert.deepEqual(
    collector.events.map((e) => `${e.offset}:${e.key}=${e.value}`),
    ['1:k=a', '2:sensor/t=20', '4:k=b'],
  );
});

test('a listener only ever receives events of its own namespace', async (t) => {
  const broker = await startTestBroker(t);
  const mine = await connectClient(t, broker.url, { namespace: 'mine' });
  const theirs = await connectClient(t, broker.url, { namespace: 'theirs' });
  const all = new Collector();
  const keyed = new Collector();
  await mine.registerListener(all);
  await mine.registerListener(keyed, { eventKeys: ['k'] });
  await theirs.sendEvent('k', 'not for you');
  await mine.sendEvent('k', 'for you');
  await mine.sendEvent('z', 'also for you');
  await all.waitFor(2);
  await keyed.waitFor(1);
  assert.deepEqual(
    all.events.map((e) => `${e.namespace}:${e.value}`),
    ['mine:for you', 'mine:also for you'],
  );
  assert.deepEqual(
    keyed.events.map((e) => e.value),
    ['for you'],
  );
});

test('a listener starts at beginOffset or beginTime, reading the past from the log', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  await client.sendEvent('k', '1');
  const second = await client.sendEvent('k', '2');
  await client.sendEvent('k', '3');
  const fromOffset = new Collector();
  await client.registerListener(fromOffset, { eventKeys: ['k'], beginOffset: 1 });
  const fromTime = new Collector();
  await client.registerListener(fromTime, { beginTime: new Date(second.createTime) });
  const fromNow = new Collector();
  await client.registerListener(fromNow, { eventKeys: ['k'] });
  await client.sendEvent('k', '4');
  await fromOffset.waitFor(3);
  await fromNow.waitFor(1);
  assert.deepEqual(fromOffset.offsets, [2, 3, 4]);
  assert.deepEqual(fromNow.offsets, [4]);
  // Events created in the same millisecond as the second one are included too: compute what is expected.
  const expected = (await client.listEvents({ beginTime: second.createTime })).map((e) => e.offset);
  assert.ok(expected.includes(2) && expected.includes(4));
  await fromTime.waitFor(expected.length);
  assert.deepEqual(fromTime.offsets, expected);
  await assert.rejects(client.registerListener(new Collector(), { beginOffset: -1 }), {
    code: 'INVALID_OPTION',
  });
  await assert.rejects(client.registerListener(new Collector(), { eventKeys: ['a#'] }), {
    code: 'INVALID_KEY',
  });
});

test('a processor that throws is reported; the client and later events are unaffected', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  const reported = deferred<{ error: unknown; offsets: number[] }>();
  client.on('listenerError', (error, info) =>
    reported.resolve({ error, offsets: info.events.map((e) => e.offset) }),
  );
  const collector = new Collector();
  await client.registerListener({
    process(events) {
      collector.process(events);
      if (events.some((e) => e.value === 'poison')) throw new Error('processor failed');
    },
  });
  await client.sendEvent('k', 'poison');
  const { error, offsets } = await reported.promise;
  assert.equal((error as Error).message, 'processor failed');
  assert.deepEqual(offsets, [1]);
  await client.sendEvent('k', 'fine');
  await collector.waitFor(2);
  assert.deepEqual(
    collector.events.map((e) => e.value),
    ['poison', 'fine'],
  );
  assert.equal((await client.listEvents()).length, 2, 'stored events are intact');
});

test('the same SDK event retried is stored once', async (t) => {
  const broker = await startTestBroker(t);
  const raw = await mqtt.connectAsync(broker.url, { clientId: 'retrier', reconnectPeriod: 0 });
  t.after(() => raw.endAsync());
  await raw.subscribeAsync('$aiflow/reply/retrier', { qos: 1 });
  const replies: { result: { event: { offset: number }; duplicate: boolean } }[] = [];
  const two = deferred();
  raw.on('message', (_topic, payload) => {
    replies.push(JSON.parse(payload.toString()));
    if (replies.length === 2) two.resolve();
  });
  const request = (id: string) =>
    JSON.stringify({
      id,
      method: 'events.send',
      params: { namespace: 'default', key: 'k', value: 'v', idempotencyId: 'event-42' },
    });
  await raw.publishAsync('$aiflow/rpc', request('try-1'), { qos: 1 });
  await raw.publishAsync('$aiflow/rpc', request('try-2'), { qos: 1 });
  await two.promise;
  assert.deepEqual(
    replies.map((r) => [r.result.event.offset, r.result.duplicate]),
    [
      [1, false],
      [1, true],
    ],
  );
  assert.equal((await broker.log.count({})).total, 1);
});

test('a listener resumes after a broker restart with no gap and no duplicate', async (t) => {
  const port = await freePort();
  const first = await startTestBroker(t, { port });
  const listenerClient = await connectClient(t, first.url);
  const collector = new Collector();
  await listenerClient.registerListener(collector, { eventKeys: ['k'] });
  const producer = await AIFlowNotificationClient.connect({ server: first.url, reconnectPeriodMs: 100 });
  for (let i = 0; i < 5; i++) await producer.sendEvent('k', `before-${i}`);
  await collector.waitFor(5);

  const offline = deferred();
  listenerClient.once('offline', () => offline.resolve());
  await first.close();
  await offline.promise;
  await producer.close();

  const second = await startTestBroker(t, { port, dbFile: first.dbFile });
  const reconnected = deferred();
  listenerClient.once('reconnected', () => reconnected.resolve());
  // Sent while the listener's client is still reconnecting: it must fetch these from the log.
  const producer2 = await connectClient(t, second.url);
  for (let i = 0; i < 5; i++) await producer2.sendEvent('k', `after-${i}`);
  await reconnected.promise;
  for (let i = 5; i < 10; i++) await producer2.sendEvent('k', `after-${i}`);
  await collector.waitFor(15);
  assert.deepEqual(
    collector.offsets,
    Array.from({ length: 15 }, (_, i) => i + 1),
  );
});

test('unregisterListener stops delivery; unknown ids and a closed client give clear errors', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  const stopped = new Collector();
  const kept = new Collector();
  const id = await client.registerListener(stopped, { eventKeys: ['k'] });
  await client.registerListener(kept, { eventKeys: ['k'] });
  await client.sendEvent('k', '1');
  await stopped.waitFor(1);
  await client.unregisterListener(id);
  await client.sendEvent('k', '2');
  await kept.waitFor(2);
  assert.deepEqual(stopped.offsets, [1]);
  await assert.rejects(client.unregisterListener(id), { code: 'INVALID_OPTION' });
  await client.close();
  await client.close();
  await assert.rejects(client.sendEvent('k', '3'), { code: 'CLIENT_CLOSED' });
});

test('connecting to a server that is not running is a clear error', async () => {
  const port = await freePort();
  await assert.rejects(AIFlowNotificationClient.connect({ server: `mqtt://127.0.0.1:${port}` }), {
    code: 'SERVER_NOT_RUNNING',
  });
  await assert.rejects(AIFlowNotificationClient.connect({ namespace: 'bad ns' }), {
    code: 'INVALID_NAMESPACE',
  });
});

test('an SDK event over the payload limit is refused with PAYLOAD_TOO_LARGE and nothing is stored', async (t) => {
  const broker = await startTestBroker(t, { maxPayloadBytes: 100 });
  const client = await connectClient(t, broker.url);
  await assert.rejects(client.sendEvent('k', 'x'.repeat(101)), {
    code: 'PAYLOAD_TOO_LARGE',
    message: 'value is 101 bytes, the limit is 100',
  });
  assert.equal((await client.sendEvent('k', 'x'.repeat(100))).offset, 1);
  assert.equal((await broker.log.count({})).total, 1);
});

test('a request the server keeps cutting off fails with CONNECTION_LOST instead of hanging', async (t) => {
  // 100 KB passes the client's own check but not this server's packet limit (1 KB + headroom).
  const broker = await startTestBroker(t, { maxPayloadBytes: 1_000 });
  const client = await connectClient(t, broker.url, { requestTimeoutMs: 60_000 });
  await assert.rejects(client.sendEvent('k', 'x'.repeat(100_000)), { code: 'CONNECTION_LOST' });
  assert.equal((await broker.log.count({})).total, 0);
});

test('a request larger than any default server accepts is refused before it is sent', async (t) => {
  const broker = await startTestBroker(t);
  const client = await connectClient(t, broker.url);
  await assert.rejects(client.sendEvent('k', 'x'.repeat(400_000)), { code: 'PAYLOAD_TOO_LARGE' });
  assert.equal((await client.sendEvent('k', 'fine')).offset, 1, 'the client still works');
});
