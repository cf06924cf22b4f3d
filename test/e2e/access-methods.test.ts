// Every method of METHOD_ROLES, called by each role: allowed where the role suffices in the namespace the method
// acts on (resolved from ids for executions, tasks, schedules and triggers), FORBIDDEN everywhere else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SchedulerClient } from '../../client/index.ts';
import { mayAct, METHOD_ROLES, parseGrant, type Caller } from '../../protocol/access-roles.ts';
import { parseCredentialFile } from '../../protocol/admin-credential.ts';
import mqtt from 'mqtt';
import { HANG_GUARD_MS, withinHangGuard } from '../helpers.ts';
import { startTestServer } from '../server-harness.ts';

const SOURCE = `import { Workflow } from 'aiflow-mqtt/workflow';
const workflow = new Workflow('w', { namespace: 'plant-1' });
workflow.bash('t', 'true');
export default workflow;
`;

/** Methods whose namespace is not known before they run, or that span namespaces: they need the role in `*`. */
const SPANNING = new Set(['workflow.upload', 'workflowExecution.prune', 'events.prune']);
const spans = (method: string) => SPANNING.has(method) || /^(user|token|audit)\./.test(method);
/** Answered for anyone, with only what the caller may see. */
const OPEN = new Set(['namespace.list', 'events.timeToOffset', 'access.whoami']);

// The caller of another namespace first: it must be refused while every id still names something of plant-1.
const CALLERS = [
  'operator@plant-2',
  'viewer@plant-1',
  'publisher@plant-1',
  'operator@plant-1',
  'admin@plant-1',
];

test('each method is refused exactly to the roles METHOD_ROLES does not allow in its namespace', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  for (const namespace of ['plant-1', 'plant-2']) await root.call('namespace.add', { name: namespace });
  await root.call('workflow.upload', { fileName: 'w.ts', source: SOURCE });
  const ref = { namespace: 'plant-1', workflow: 'w' };
  const workflowExecutionId = await root.startWorkflowExecution(ref);
  const taskExecutionId = await firstTaskExecution(root, workflowExecutionId);
  const scheduleId = (await root.addWorkflowSchedule(ref, 'interval@1 0 0 0')).id;
  const triggerId = (await root.addWorkflowTrigger(ref, { key: 'go' })).id;

  const clients = new Map<string, SchedulerClient>();
  for (const [index, grant] of CALLERS.entries()) {
    const name = `user-${index}`;
    await root.addUser(name, `${name}-password`, [grant]);
    const client = await SchedulerClient.connect({
      server: server.url,
      credentials: { username: name, password: `${name}-password` },
    });
    t.after(() => client.close());
    clients.set(grant, client);
  }
  const params: Record<string, unknown> = {
    ...ref,
    name: 'plant-1',
    workflowExecutionId,
    taskExecutionId,
    scheduleId,
    triggerId,
    task: 't',
    expression: 'interval@1 0 0 0',
    eventKey: 'go',
    fileName: 'w.ts',
    source: SOURCE,
    finishedBefore: 0,
    createdBefore: 0,
    dryRun: true,
    key: 'k',
    value: 'v',
    offset: 0,
  };
  const accessParams: Record<string, Record<string, unknown>> = {
    'user.add': { name: 'extra', password: 'extra-password', grants: ['viewer@plant-1'] },
    'user.delete': { name: 'nobody' },
    'user.passwd': { name: 'nobody', password: 'nobody-password' },
    'token.create': { grants: ['viewer@plant-1'] },
    'token.revoke': { id: '000000000000' },
    'events.sendBatch': { events: [{ namespace: 'plant-1', key: 'batch', value: 'v' }] },
  };
  // What deletes or stops runs last, so that every id still resolves when the others are called; the workflow and
  // its namespace go last of all.
  const rank = (m: string) => {
    if (/^(workflow|namespace)\.delete$/.test(m)) return 3;
    if (m === 'workflowExecution.delete') return 2;
    return /\.(delete|deleteAll|stop|stopAll|prune|disable)$/.test(m) ? 1 : 0;
  };
  const methods = Object.keys(METHOD_ROLES).sort((a, b) => rank(a) - rank(b));
  const mismatches: string[] = [];
  for (const method of methods) {
    const needed = METHOD_ROLES[method]!;
    for (const grant of CALLERS) {
      const caller: Caller = { name: grant, grants: [parseGrant(grant)] };
      const allowed = OPEN.has(method) || mayAct(caller, needed, spans(method) ? null : 'plant-1');
      let code = 'ok';
      try {
        // Every method by name, as a client in another language would call it.
        const call = clients.get(grant)!.call.bind(clients.get(grant)) as (
          m: string,
          p: object,
        ) => Promise<unknown>;
        await call(method, accessParams[method] ?? params);
      } catch (error) {
        code = (error as { code?: string }).code ?? 'unknown';
      }
      if ((code === 'FORBIDDEN') === allowed) mismatches.push(`${method} by ${grant}: ${code}`);
    }
  }
  assert.deepEqual(mismatches, []);
});

test('listings without a namespace show only what the caller may view', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  for (const namespace of ['plant-1', 'plant-2']) await root.call('namespace.add', { name: namespace });
  await root.addUser('watcher', 'watcher-password', ['viewer@plant-2']);
  const watcher = await SchedulerClient.connect({
    server: server.url,
    credentials: { username: 'watcher', password: 'watcher-password' },
  });
  t.after(() => watcher.close());
  const names = (await watcher.call('namespace.list')).map((n) => n.name);
  assert.deepEqual(names, ['plant-2']);
  await assert.rejects(watcher.call('workflow.list', {}), { code: 'FORBIDDEN' });
  await root.call('events.send', { namespace: 'plant-1', key: 'k', value: 'v' });
  await root.call('events.send', { namespace: 'plant-2', key: 'k', value: 'v' });
  // One namespace granted: a count without a namespace counts that namespace's events only.
  assert.equal((await watcher.call('events.count', {})).total, 1);
  await root.addUser('two', 'two-password', ['viewer@plant-1', 'viewer@plant-2']);
  const two = await SchedulerClient.connect({
    server: server.url,
    credentials: { username: 'two', password: 'two-password' },
  });
  t.after(() => two.close());
  await assert.rejects(two.call('events.list', {}), { code: 'FORBIDDEN' });
  assert.equal((await two.call('events.count', { namespace: 'plant-1' })).total, 1);
  assert.equal((await root.call('events.count', {})).total, 2);
});

test('a caller written into a request is ignored: the broker names the caller from the login', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  await root.addUser('mallory', 'mallory-password', ['viewer@default']);
  const mallory = await mqtt.connectAsync(server.url, {
    clientId: 'mallory-1',
    username: 'mallory',
    password: 'mallory-password',
    reconnectPeriod: 0,
  });
  t.after(() => mallory.end(true));
  await mallory.subscribeAsync('$aiflow/reply/mallory-1', { qos: 1 });
  const reply = new Promise<string>((resolve) =>
    mallory.on('message', (_topic, payload) => resolve(String(payload))),
  );
  const forged = { name: 'admin', grants: [{ role: 'admin', namespace: '*' }] };
  await mallory.publishAsync(
    '$aiflow/rpc',
    JSON.stringify({
      id: 'r1',
      method: 'namespace.add',
      params: { name: 'stolen', caller: forged },
      caller: forged,
    }),
    { qos: 1 },
  );
  const answer = JSON.parse(await withinHangGuard(reply, 'the reply')) as {
    error?: { code: string; message: string };
  };
  assert.equal(answer.error?.code, 'FORBIDDEN');
  assert.match(answer.error.message, /^mallory may not call namespace\.add/);
});

async function firstTaskExecution(client: SchedulerClient, workflowExecutionId: number): Promise<number> {
  const deadline = Date.now() + HANG_GUARD_MS;
  while (Date.now() < deadline) {
    const tasks = await client.call('taskExecution.list', { workflowExecutionId });
    if (tasks[0]) return tasks[0].id;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no task execution of ${workflowExecutionId} within ${HANG_GUARD_MS} ms`);
}
