// The audit trail on a real server with access control on: changes by two users in order with who, what and
// outcome; refused logins and FORBIDDEN refusals (requests, subscriptions, publishes); no secret in any entry; admin-only reads; filters.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { SchedulerClient, type AuditEntry } from '../../client/index.ts';
import { parseCredentialFile } from '../../protocol/admin-credential.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { withinHangGuard } from '../helpers.ts';
import { startTestServer } from '../server-harness.ts';

const SOURCE = `import { Workflow } from 'aiflow-mqtt/workflow';
const workflow = new Workflow('w', { namespace: 'plant-1' });
workflow.bash('t', 'true');
export default workflow;
`;
const ref = { namespace: 'plant-1', workflow: 'w' };

const summary = (entries: AuditEntry[]) => entries.map((e) => `${e.identity} ${e.action} ${e.outcome}`);

async function refused(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as AIFlowError).code;
  }
  return 'ok';
}

test('changes, refused logins and FORBIDDEN refusals are recorded in order, without secrets', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  const connect = async (username: string, password: string) => {
    const client = await SchedulerClient.connect({ server: server.url, credentials: { username, password } });
    t.after(() => client.close());
    return client;
  };

  await root.call('namespace.add', { name: 'plant-1' });
  await root.call('workflow.upload', { fileName: 'w.ts', source: SOURCE });
  await root.addUser('alice', 'alice-password', ['operator@plant-1']);
  await root.addUser('bob', 'bob-password', ['viewer@plant-1']);
  const { token, id: tokenId } = await root.createToken(['publisher@plant-1'], 'pump-3');
  const alice = await connect('alice', 'alice-password');
  const bob = await connect('bob', 'bob-password');

  await alice.startWorkflowExecution(ref);
  await alice.call('workflow.disable', ref);
  await alice.call('workflow.enable', ref);
  // Reads are not recorded...
  await bob.call('workflow.list', { namespace: 'plant-1' });
  // ...but refusals are: by the scheduler (forwarded), by the broker, and of the trail itself.
  assert.equal(await refused(bob.startWorkflowExecution(ref)), 'FORBIDDEN');
  assert.equal(await refused(bob.call('events.prune', { createdBefore: 0 })), 'FORBIDDEN');
  assert.equal(await refused(bob.listAudit()), 'FORBIDDEN');
  assert.equal(await refused(bob.call('workflow.list', { namespace: 'plant-2' })), 'FORBIDDEN');
  const raw = await mqtt.connectAsync(server.url, {
    username: 'bob',
    password: 'bob-password',
    reconnectPeriod: 0,
  });
  t.after(() => raw.end(true));
  // SUBACK 0x80, which MQTT.js reports as an error.
  await assert.rejects(raw.subscribeAsync('ns/plant-2/#', { qos: 1 }));
  // A refused publish cuts the connection (MQTT 3.1.1 has no negative PUBACK).
  const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
  raw.publish('ns/plant-1/temp', '21', { qos: 1 });
  await withinHangGuard(closed, 'the refused publisher is disconnected');
  await assert.rejects(
    mqtt.connectAsync(server.url, { username: 'alice', password: 'not-her-password', reconnectPeriod: 0 }),
  );
  assert.equal(
    await refused(root.call('workflow.delete', { namespace: 'plant-1', workflow: 'nope' })),
    'NOT_FOUND',
  );
  await root.setUserPassword('alice', 'alice-new-password');
  await root.revokeToken(tokenId);

  const entries = await root.listAudit();
  assert.deepEqual(summary(entries), [
    `${admin.username} namespace.add ok`,
    `${admin.username} workflow.upload ok`,
    `${admin.username} user.add ok`,
    `${admin.username} user.add ok`,
    `${admin.username} token.create ok`,
    'alice workflowExecution.start ok',
    'alice workflow.disable ok',
    'alice workflow.enable ok',
    'bob workflowExecution.start FORBIDDEN',
    'bob events.prune FORBIDDEN',
    'bob audit.list FORBIDDEN',
    'bob workflow.list FORBIDDEN',
    'bob subscribe FORBIDDEN',
    'bob publish FORBIDDEN',
    'alice login UNAUTHORIZED',
    `${admin.username} workflow.delete NOT_FOUND`,
    `${admin.username} user.passwd ok`,
    `${admin.username} token.revoke ok`,
  ]);
  const seqs = entries.map((e) => e.seq);
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  );
  const start = entries.find((e) => e.identity === 'alice' && e.action === 'workflowExecution.start')!;
  assert.equal(start.namespace, 'plant-1');
  assert.deepEqual(start.target, { workflow: 'w' });
  assert.equal(typeof start.remote, 'string', 'a TCP connection has a peer address');
  assert.match(start.client, /./);
  assert.equal(entries.find((e) => e.action === 'token.revoke')!.target.id, tokenId);
  assert.deepEqual(entries.find((e) => e.action === 'user.add')!.target, {
    name: 'alice',
    grants: ['operator@plant-1'],
  });
  assert.match(entries.find((e) => e.action === 'login')!.detail!, /wrong user name or password for alice/);
  const publish = entries.find((e) => e.action === 'publish')!;
  assert.deepEqual([publish.namespace, publish.target], ['plant-1', { topic: 'ns/plant-1/temp' }]);

  const text = JSON.stringify(entries);
  for (const secret of ['alice-password', 'bob-password', 'alice-new-password', 'not-her-password', token]) {
    assert.ok(!text.includes(secret), `${secret} is not in the trail`);
  }
  assert.ok(!text.includes(admin.password));
  assert.ok(!text.includes('aiflow-mqtt/workflow'), 'no workflow source');
  const file = readFileSync(join(server.home, 'access.db')).toString('latin1');
  for (const secret of ['alice-password', 'alice-new-password', 'not-her-password', token]) {
    assert.ok(!file.includes(secret), `${secret} is not in access.db`);
  }
});

test('audit.list filters by identity, action, namespace, time and limit; the CLI shows the same', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  await root.call('namespace.add', { name: 'plant-1' });
  await root.call('namespace.add', { name: 'plant-2' });
  await root.addUser('carol', 'carol-password', ['admin@plant-2']);
  const carol = await SchedulerClient.connect({
    server: server.url,
    credentials: { username: 'carol', password: 'carol-password' },
  });
  t.after(() => carol.close());
  assert.equal(await refused(carol.call('namespace.delete', { name: 'plant-1' })), 'FORBIDDEN');
  await carol.call('namespace.delete', { name: 'plant-2' });

  assert.deepEqual(summary(await root.listAudit({ user: 'carol' })), [
    'carol namespace.delete FORBIDDEN',
    'carol namespace.delete ok',
  ]);
  assert.deepEqual(summary(await root.listAudit({ action: 'namespace.add' })), [
    `${admin.username} namespace.add ok`,
    `${admin.username} namespace.add ok`,
  ]);
  assert.deepEqual(
    (await root.listAudit({ namespace: 'plant-2' })).map((e) => `${e.identity} ${e.action}`),
    [`${admin.username} namespace.add`, 'carol namespace.delete'],
  );
  const all = await root.listAudit();
  assert.deepEqual(summary(await root.listAudit({ limit: 2 })), summary(all.slice(-2)));
  const last = all.at(-1)!;
  for (const entry of await root.listAudit({ since: last.time })) assert.ok(entry.time >= last.time);
  assert.deepEqual(await root.listAudit({ since: last.time + 1 }), []);

  const cli = await server.cli(
    ...['audit', 'list', '--identity', 'carol', '-o', 'json'],
    ...['-u', admin.username, '--password', admin.password],
  );
  assert.deepEqual(
    (JSON.parse(cli.stdout) as AuditEntry[]).map((e) => `${e.action} ${e.outcome}`),
    ['namespace.delete FORBIDDEN', 'namespace.delete ok'],
  );

  // A request that leaves its namespace to the declared default is recorded under it.
  assert.equal(await refused(root.call('workflow.delete', { workflow: 'nope' })), 'NOT_FOUND');
  assert.deepEqual(summary(await root.listAudit({ namespace: 'default' })), [
    `${admin.username} workflow.delete NOT_FOUND`,
  ]);
});

test('a server keeps the newest auditMaxEntries entries', async (t) => {
  const server = await startTestServer(t, { access: { auditMaxEntries: 2 } });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  for (const name of ['a', 'b', 'c']) await root.call('namespace.add', { name });
  assert.deepEqual(
    (await root.listAudit()).map((e) => e.namespace),
    ['b', 'c'],
  );
});
