// Tasks log in with their own credential from the environment: a bash task (through the CLI) and a function task
// (through the SDK) send events as themselves, in their execution's context, and nothing more.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SchedulerClient } from '../../client/index.ts';
import mqtt from 'mqtt';
import { parseCredentialFile } from '../../protocol/admin-credential.ts';
import { taskPassword, taskUsername } from '../../protocol/task-credential.ts';
import { taskKeyFile } from '../../server/home-files.ts';
import { AIFLOW_BIN, tempDir } from '../helpers.ts';
import { startTestServer, watchExecutions } from '../server-harness.ts';

const SOURCE = `
import { AIFlowNotificationClient, SchedulerClient } from 'aiflow-mqtt/client';
import { Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('task-logins');
workflow.bash('shell', ${JSON.stringify(`"${process.execPath}" "${AIFLOW_BIN}" event send from-bash hello`)});
workflow.fn('probe', async () => {
  const outcome = async (work: () => Promise<unknown>) => {
    try {
      await work();
      return 'accepted';
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
  };
  const client = await AIFlowNotificationClient.connect();
  const elsewhere = await AIFlowNotificationClient.connect({ namespace: 'other' });
  const requests = await SchedulerClient.connect();
  const report = {
    otherNamespace: await outcome(() => elsewhere.sendEvent('x')),
    otherExecution: await outcome(() =>
      client.sendEvent('x', '', { context: JSON.stringify({ workflowExecutionId: 999999 }) }),
    ),
    operatorMethod: await outcome(() => requests.startWorkflowExecution({ workflow: 'task-logins' })),
    adminMethod: await outcome(() => requests.call('user.list', {})),
  };
  await client.sendEvent('report', JSON.stringify(report));
  await Promise.all([client.close(), elsewhere.close(), requests.close()]);
});

export default workflow;
`;

test('bash and function tasks send events with their own credential, in their own execution only', async (t) => {
  const server = await startTestServer(t, { access: {} });
  const admin = parseCredentialFile(readFileSync(join(server.home, 'admin.credential'), 'utf8'))!;
  const root = await SchedulerClient.connect({ server: server.url, credentials: admin });
  t.after(() => root.close());
  await root.call('workflow.upload', { fileName: 'task-logins.ts', source: SOURCE });
  const executions = await watchExecutions(t, server.url, 'task-logins');
  const id = await root.startWorkflowExecution({ workflow: 'task-logins' });
  assert.equal((await executions.finished(id)).value, 'success');

  const { events } = await root.call('events.list', { keys: ['from-bash', 'report'] });
  const byKey = new Map(events.map((e) => [e.key, e]));
  const bash = byKey.get('from-bash');
  const report = byKey.get('report');
  assert.ok(bash && report, `both tasks sent their event: ${JSON.stringify(events)}`);
  assert.match(bash.sender, new RegExp(`^task ${id}/\\d+ \\(label: ${id}_shell_1\\)$`));
  assert.match(report.sender, new RegExp(`^task ${id}/\\d+ \\(label: ${id}_probe_1\\)$`));
  assert.notEqual(
    bash.sender.split(' ')[1],
    report.sender.split(' ')[1],
    'each task execution is its own identity',
  );
  for (const event of [bash, report])
    assert.equal(event.context, JSON.stringify({ workflowExecutionId: id }));
  assert.deepEqual(JSON.parse(report.value), {
    otherNamespace: 'FORBIDDEN',
    otherExecution: 'FORBIDDEN',
    operatorMethod: 'FORBIDDEN',
    adminMethod: 'FORBIDDEN',
  });
  // Nothing a refused request asked for happened: one execution only.
  const { total } = await root.call('events.count', { keys: ['x'] });
  assert.equal(total, 0);
});

test('a task login stays valid across a server restart (a task adopted by the next scheduler keeps working)', async (t) => {
  const home = tempDir(t);
  const first = await startTestServer(t, { home, access: {} });
  const key = readFileSync(taskKeyFile(home), 'utf8').trim();
  await first.close();
  const second = await startTestServer(t, { home, access: {} });
  assert.equal(readFileSync(taskKeyFile(home), 'utf8').trim(), key);
  const username = taskUsername({ namespace: 'default', workflowExecutionId: 1, taskExecutionId: 1 });
  const client = await mqtt.connectAsync(second.url, {
    username,
    password: taskPassword(key, username),
    reconnectPeriod: 0,
  });
  await client.endAsync(true);
});
