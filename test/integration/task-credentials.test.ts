// A task's own login (derived from the server secret) and the rule on execution contexts, at the broker.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AIFlowNotificationClient, SchedulerClient } from '../../client/index.ts';
import { taskPassword, taskUsername } from '../../protocol/task-credential.ts';
import { connackCode, passwordOf, startSecuredBroker } from '../access-support.ts';
import type { TestBroker } from '../helpers.ts';

const SECRET = 'server-secret';
const TASK = { namespace: 'plant-1', workflowExecutionId: 12, taskExecutionId: 34 };
const context = (workflowExecutionId: number) => JSON.stringify({ workflowExecutionId });

async function securedBroker(t: TestContext) {
  const { broker } = await startSecuredBroker(
    t,
    { users: { pub: ['publisher@plant-1'], op: ['operator@plant-1'] } },
    { schedulerToken: SECRET },
  );
  return broker;
}

async function connect(
  t: TestContext,
  broker: TestBroker,
  credentials: { username: string; password: string },
  namespace = 'plant-1',
) {
  const client = await AIFlowNotificationClient.connect({ server: broker.url, namespace, credentials });
  t.after(() => client.close());
  return client;
}

const taskLogin = () => {
  const username = taskUsername(TASK);
  return { username, password: taskPassword(SECRET, username) };
};
const asTask = (t: TestContext, broker: TestBroker, namespace?: string) =>
  connect(t, broker, taskLogin(), namespace);

/** The task's login for request methods. */
async function taskRequests(t: TestContext, broker: TestBroker) {
  const client = await SchedulerClient.connect({ server: broker.url, credentials: taskLogin() });
  t.after(() => client.close());
  return client;
}
const asUser = (t: TestContext, broker: TestBroker, name: string) =>
  connect(t, broker, { username: name, password: passwordOf(name) });

test('a task logs in with its derived password, as itself, with publisher and viewer in its namespace', async (t) => {
  const broker = await securedBroker(t);
  const whoami = await (await taskRequests(t, broker)).call('access.whoami', {});
  assert.equal(whoami.name, 'task 12/34');
  assert.deepEqual(whoami.grants, [
    { role: 'publisher', namespace: 'plant-1' },
    { role: 'viewer', namespace: 'plant-1' },
  ]);
  const task = await asTask(t, broker);
  const event = await task.sendEvent('done', 'ok', { context: context(12) });
  assert.equal(event.sender, 'task 12/34');
  assert.equal(event.context, context(12));
});

test('a task credential with a wrong HMAC, or for another execution, is refused with CONNACK 5', async (t) => {
  const broker = await securedBroker(t);
  const username = taskUsername(TASK);
  assert.equal(
    await connackCode(broker, { username, password: taskPassword('another-secret', username) }),
    5,
  );
  const other = taskUsername({ ...TASK, workflowExecutionId: 13 });
  assert.equal(await connackCode(broker, { username: other, password: taskPassword(SECRET, username) }), 5);
  assert.equal(await connackCode(broker, { username, password: taskPassword(SECRET, username) }), 0);
});

test('a task may not send in another namespace, name another execution, or call operator and admin methods', async (t) => {
  const broker = await securedBroker(t);
  const elsewhere = await asTask(t, broker, 'plant-2');
  await assert.rejects(elsewhere.sendEvent('done', 'ok'), {
    code: 'FORBIDDEN',
    message: /task 12\/34 may not call events\.send in namespace plant-2/,
  });
  const task = await asTask(t, broker);
  await assert.rejects(task.sendEvent('done', 'ok', { context: context(13) }), {
    code: 'FORBIDDEN',
    message: 'task 12/34 may not send events in the context of workflow execution 13',
  });
  const requests = await taskRequests(t, broker);
  await assert.rejects(requests.call('events.prune', { keepPerNamespace: 10, dryRun: true }), {
    code: 'FORBIDDEN',
  });
  await assert.rejects(requests.call('user.list', {}), { code: 'FORBIDDEN' });
  assert.ok(
    broker.records.some(
      (r) => r.level === 'warn' && /context of workflow execution 13/.test(String(r.fields.reason ?? '')),
    ),
    'the refusal is logged',
  );
  assert.equal((await broker.log.count({})).total, 0);
});

test('a publisher may not forge an execution context; an operator of the namespace may', async (t) => {
  const broker = await securedBroker(t);
  const publisher = await asUser(t, broker, 'pub');
  await assert.rejects(publisher.sendEvent('go', 'x', { context: context(12) }), {
    code: 'FORBIDDEN',
    message: 'pub may not send events in the context of workflow execution 12',
  });
  // Events without an execution context are unaffected.
  assert.equal((await publisher.sendEvent('go', 'x', { context: '{"batch":7}' })).sender, 'pub');
  const operator = await asUser(t, broker, 'op');
  assert.equal((await operator.sendEvent('go', 'y', { context: context(12) })).context, context(12));
});
