// The server's secure defaults: an admin made on first start whose credential the CLI picks up, anonymous clients
// by listener, and tasks that keep working.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger, type LogRecord } from '../../broker/index.ts';
import { SchedulerClient } from '../../client/index.ts';
import { parseCredentialFile } from '../../protocol/admin-credential.ts';
import { prepareAccess } from '../../server/access-setup.ts';
import { AIFLOW_BIN, run, tempDir } from '../helpers.ts';
import { example, startTestServer, watchExecutions } from '../server-harness.ts';

test('the first start makes an admin whose credential (0600) the CLI uses with no flags', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const file = join(server.home, 'admin.credential');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(server.home, 'access.db')).mode & 0o777, 0o600);
  // HOME without ~/.aiflow: only what the command is given counts.
  const env = { HOME: tempDir(t), AIFLOW_HOME: server.home };
  const aiflow = (args: string[], extra: NodeJS.ProcessEnv = {}, input?: string) =>
    run(process.execPath, [AIFLOW_BIN, ...args, '-s', server.url], {
      env: { ...env, ...extra },
      ...(input === undefined ? {} : { input }),
    });
  assert.equal((await aiflow(['whoami'])).stdout, 'admin admin@*\n');
  const added = await aiflow(
    ['user', 'add', 'alice', '--grant', 'operator@plant-1', '--grant', 'viewer@default', '--password-stdin'],
    {},
    'alice-secret-1\n',
  );
  assert.equal(added.code, 0, added.stderr);
  const asAlice = await aiflow(['whoami', '-u', 'alice', '--password', 'alice-secret-1']);
  assert.equal(asAlice.stdout, 'alice operator@plant-1 viewer@default\n');
  const fromEnv = await aiflow(['whoami'], { AIFLOW_USERNAME: 'alice', AIFLOW_PASSWORD: 'alice-secret-1' });
  assert.equal(fromEnv.stdout, 'alice operator@plant-1 viewer@default\n');
  const denied = await aiflow(['user', 'list', '-u', 'alice', '--password', 'alice-secret-1']);
  assert.equal(denied.code, 1);
  assert.match(
    denied.stderr,
    /^aiflow: FORBIDDEN: alice may not call user\.list on this server \(needs admin\)/,
  );
  const wrong = await aiflow(['whoami', '-u', 'alice', '--password', 'wrong-password']);
  assert.match(wrong.stderr, /^aiflow: UNAUTHORIZED: /);
  const anonymous = await aiflow(['whoami'], { AIFLOW_HOME: tempDir(t) });
  assert.equal(anonymous.stdout, 'anonymous publisher@default\n');

  const created = await aiflow([
    'token',
    'create',
    '--grant',
    'publisher@default',
    '--name',
    'pump-3',
    '-o',
    'json',
  ]);
  const { id, token } = JSON.parse(created.stdout) as { id: string; token: string };
  assert.match(token, /^aft_[0-9a-f]{12}_/);
  const listed = await aiflow(['token', 'list', '-o', 'json']);
  assert.ok(!listed.stdout.includes(token), 'a token is shown once, never listed');
  assert.equal(
    (await aiflow(['whoami', '-u', 'pump-3', '--password', token])).stdout,
    'pump-3 publisher@default\n',
  );
  assert.equal((await aiflow(['token', 'revoke', id])).code, 0);
  assert.match((await aiflow(['whoami', '-u', 'pump-3', '--password', token])).stderr, /UNAUTHORIZED/);
});

test('a restart keeps the users and the credential file', async (t) => {
  const home = tempDir(t);
  const first = await startTestServer(t, { home, access: {} });
  const credential = readFileSync(join(home, 'admin.credential'), 'utf8');
  await first.close();
  await startTestServer(t, { home, access: {} });
  assert.equal(readFileSync(join(home, 'admin.credential'), 'utf8'), credential);
});

test('anonymous clients are refused on a network host unless allowed, with a warning either way', async (t) => {
  const records: LogRecord[] = [];
  const logger = createLogger('debug', (record) => records.push(record));
  const network = await prepareAccess(tempDir(t), '0.0.0.0', {}, logger);
  assert.equal(network.anonymous, null);
  const allowed = await prepareAccess(
    tempDir(t),
    '0.0.0.0',
    { anonymous: [{ role: 'viewer', namespace: 'x' }] },
    logger,
  );
  assert.deepEqual(allowed.anonymous, [{ role: 'viewer', namespace: 'x' }]);
  const loopback = await prepareAccess(tempDir(t), '127.0.0.1', {}, logger);
  assert.deepEqual(loopback.anonymous, [{ role: 'publisher', namespace: 'default' }]);
  assert.deepEqual(
    records.filter((r) => r.level === 'warn').map((r) => r.message),
    [
      'anonymous connections refused on a network listener',
      'anonymous connections allowed on a network listener',
    ],
  );
});

test('tasks keep sending events under access control; their sender shows the identity', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  await root.call('workflow.upload', {
    fileName: 'quickstart.ts',
    source: readFileSync(example('quickstart.ts'), 'utf8'),
  });
  const executions = await watchExecutions(t, server.url, 'quickstart');
  const id = await root.startWorkflowExecution({ workflow: 'quickstart' });
  assert.equal((await executions.finished(id)).value, 'success');
  const { events } = await root.call('events.list', { keys: ['key'] });
  // The task logs in as itself (see test/e2e/task-credentials.test.ts), not as the home's admin.
  assert.equal(events.length, 1);
  assert.match(events[0]!.sender, new RegExp(`^task ${id}/\\d+ \\(label: ${id}_task3_1\\)$`));
});
