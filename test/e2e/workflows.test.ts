import assert from 'node:assert/strict';
import { test } from 'node:test';
import { example, startTestServer, watchExecutions, watchTask } from '../server-harness.ts';
import { requireProgram, run } from '../helpers.ts';

interface TaskRow {
  id: number;
  task: string;
  sequence: number;
  attempt: number;
  status: string;
  reason: string | null;
}

async function taskRows(server: Awaited<ReturnType<typeof startTestServer>>, executionId: number) {
  const listed = await server.cli('task-execution', 'list', String(executionId), '-o', 'json');
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as TaskRow[];
}

const byTask = (rows: TaskRow[]) => Object.fromEntries(rows.map((r) => [r.task, r.status]));

test('quickstart: startAfter, then an event sent from a task starts another task of the same execution', async (t) => {
  const server = await startTestServer(t);
  const upload = await server.cli('workflow', 'upload', example('quickstart.ts'));
  assert.equal(upload.code, 0, upload.stderr);
  assert.match(upload.stdout, /default\s+quickstart\s+1\s+4/);
  const executions = await watchExecutions(t, server.url, 'quickstart');
  const started = await server.cli('workflow-execution', 'start', 'quickstart', '-o', 'json');
  assert.equal(started.code, 0, started.stderr);
  const { id } = JSON.parse(started.stdout) as { id: number };
  assert.equal((await executions.finished(id)).value, 'success');
  const rows = await taskRows(server, id);
  assert.deepEqual(byTask(rows), { task1: 'success', task2: 'success', task3: 'success', task4: 'success' });
  assert.equal(rows.length, 4, 'each task ran exactly once');
  const sent = await server.cli('event', 'list', '-k', 'key', '-o', 'json');
  const [event] = JSON.parse(sent.stdout) as { sender: string; context: string }[];
  assert.deepEqual(JSON.parse(event!.context), { workflowExecutionId: id });
  assert.equal(event!.sender, `${id}_task3_1`);
});

test('actionOnTaskStatus stops a long task when two others succeed', async (t) => {
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('stop-on-status.ts'))).code, 0);
  const executions = await watchExecutions(t, server.url, 'stop_on_status');
  const { id } = JSON.parse(
    (await server.cli('workflow-execution', 'start', 'stop_on_status', '-o', 'json')).stdout,
  );
  assert.equal(
    (await executions.finished(id)).value,
    'stopped',
    'a stopped task makes the execution stopped',
  );
  assert.deepEqual(byTask(await taskRows(server, id)), {
    serve: 'stopped',
    prepare: 'success',
    train: 'success',
  });
});

test('a custom stateful condition starts the consumer once the values add up to 100', async (t) => {
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('sum-to-100.ts'))).code, 0);
  const executions = await watchExecutions(t, server.url, 'sum_to_100');
  const { id } = JSON.parse(
    (await server.cli('workflow-execution', 'start', 'sum_to_100', '-o', 'json')).stdout,
  );
  assert.equal((await executions.finished(id)).value, 'success');
  const rows = await taskRows(server, id);
  assert.deepEqual(byTask(rows), { producer: 'success', consumer: 'success' });
  assert.equal(rows.filter((r) => r.task === 'consumer').length, 1);
});

test('mosquitto_pub starts and then stops a running task', async (t) => {
  if (!requireProgram(t, 'mosquitto_pub', 'Debian package mosquitto-clients')) return;
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('mqtt-control.ts'))).code, 0);
  const executions = await watchExecutions(t, server.url, 'mqtt_control');
  const job = await watchTask(t, server.url, 'mqtt_control', 'job');
  const { id } = JSON.parse(
    (await server.cli('workflow-execution', 'start', 'mqtt_control', '-o', 'json')).stdout,
  );
  const pub = (topic: string) =>
    run('mosquitto_pub', ['-p', String(server.port), '-q', '1', '-t', topic, '-m', 'x']);
  assert.equal((await pub('ns/default/job/start')).code, 0);
  await job.reached('running');
  assert.equal((await pub('ns/default/job/stop')).code, 0);
  await job.reached('stopped');
  assert.equal((await executions.finished(id)).value, 'stopped');
  assert.deepEqual(job.statuses(), ['queued', 'running', 'stopping', 'stopped']);
});
