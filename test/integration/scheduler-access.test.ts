import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { decodeEvent } from '../../protocol/event.ts';
import { SCHEDULER_RPC_TOPIC, SCHEDULER_USERNAME } from '../../protocol/topics.ts';
import { connectClient, deferred, startTestBroker } from '../helpers.ts';

const TOKEN = 'test-token';

async function schedulerClient(t: import('node:test').TestContext, url: string) {
  const client = await mqtt.connectAsync(url, {
    clientId: 'scheduler',
    username: SCHEDULER_USERNAME,
    password: TOKEN,
    reconnectPeriod: 0,
  });
  t.after(() => client.endAsync(true));
  return client;
}

test('status keys ($…) are refused to ordinary clients, by publish and by the SDK', async (t) => {
  const broker = await startTestBroker(t, { schedulerToken: TOKEN });
  const client = await connectClient(t, broker.url);
  await assert.rejects(client.sendEvent('$task/wf/t', 'success'), { code: 'RESERVED_TOPIC' });
  const plain = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  plain.on('error', () => undefined);
  t.after(() => plain.endAsync(true));
  const closed = new Promise<void>((resolve) => plain.once('close', () => resolve()));
  plain.publish('ns/default/$workflow/wf', 'success', { qos: 1 });
  await closed;
  assert.equal((await broker.log.count({})).total, 0);
});

test('the scheduler, with the token, sends status events that are stored and retained', async (t) => {
  const broker = await startTestBroker(t, { schedulerToken: TOKEN });
  const scheduler = await schedulerClient(t, broker.url);
  await scheduler.publishAsync('ns/default/$task/wf/t1', 'running', { qos: 1 });
  await scheduler.publishAsync('ns/default/$task/wf/t1', 'success', { qos: 1 });
  assert.equal((await broker.log.count({})).total, 2);
  const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.after(() => watcher.endAsync(true));
  const retained = deferred<{ value: string; retain: boolean }>();
  watcher.on('message', (_topic, payload, packet) =>
    retained.resolve({ value: decodeEvent(payload).value, retain: packet.retain }),
  );
  await watcher.subscribeAsync('ns/default/$task/#', { qos: 1 });
  assert.deepEqual(await retained.promise, { value: 'success', retain: true });
});

test('a wrong scheduler password is refused with CONNACK return code 4', async (t) => {
  const broker = await startTestBroker(t, { schedulerToken: TOKEN });
  await assert.rejects(
    mqtt.connectAsync(broker.url, { username: SCHEDULER_USERNAME, password: 'wrong', reconnectPeriod: 0 }),
    /Bad username or password/i,
  );
});

test('scheduler methods are forwarded to the scheduler, which answers the requester', async (t) => {
  const broker = await startTestBroker(t, { schedulerToken: TOKEN });
  const client = await mqtt.connectAsync(broker.url, { clientId: 'asker', reconnectPeriod: 0 });
  t.after(() => client.endAsync(true));
  await client.subscribeAsync('$aiflow/reply/asker', { qos: 1 });
  const replies: unknown[] = [];
  let nextReply = deferred();
  client.on('message', (_topic, payload) => {
    replies.push(JSON.parse(payload.toString()));
    nextReply.resolve();
  });
  const request = JSON.stringify({ id: 'r1', method: 'workflow.list', params: { namespace: 'default' } });
  await client.publishAsync('$aiflow/rpc', request, { qos: 1 });
  await nextReply.promise;
  assert.deepEqual(replies[0], {
    id: 'r1',
    error: { code: 'SCHEDULER_NOT_RUNNING', message: 'no scheduler is connected' },
  });

  const ordinary = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  t.after(() => ordinary.endAsync(true));
  await assert.rejects(ordinary.subscribeAsync(SCHEDULER_RPC_TOPIC, { qos: 1 }), /Subscribe error/);

  const scheduler = await schedulerClient(t, broker.url);
  scheduler.on('message', (_topic, payload) => {
    const forwarded = JSON.parse(payload.toString()) as { id: string; method: string; replyTo: string };
    void scheduler.publishAsync(
      `$aiflow/reply/${forwarded.replyTo}`,
      JSON.stringify({ id: forwarded.id, result: { method: forwarded.method } }),
      { qos: 1 },
    );
  });
  await scheduler.subscribeAsync(SCHEDULER_RPC_TOPIC, { qos: 1 });
  nextReply = deferred();
  await client.publishAsync('$aiflow/rpc', request, { qos: 1 });
  await nextReply.promise;
  assert.deepEqual(replies[1], { id: 'r1', result: { method: 'workflow.list' } });
});
