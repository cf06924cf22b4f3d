import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, ROOT, tempDir } from '../helpers.ts';
import { startTestServer, watchExecutions, watchTask, type TestServer } from '../server-harness.ts';

const SLOW_STOP = join(ROOT, 'test/fixtures/scheduler/slow-stop.ts');

async function json<T>(server: TestServer, ...argv: string[]): Promise<T> {
  const result = await server.cli(...argv, '-o', 'json');
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

test('a stopped execution stays stopping until its task process has exited; delete meanwhile is a CONFLICT', async (t) => {
  const server = await startTestServer(t, { stopGraceMs: 10_000 });
  assert.equal((await server.cli('workflow', 'upload', SLOW_STOP)).code, 0);
  const task = await watchTask(t, server.url, 'slow_stop', 't');
  const executions = await watchExecutions(t, server.url, 'slow_stop');
  const { id } = await json<{ id: number }>(server, 'workflow-execution', 'start', 'slow_stop');
  await task.reached('running');
  assert.equal((await server.cli('workflow-execution', 'stop', String(id))).code, 0);
  await task.reached('stopping');

  const show = await json<{ status: string }>(server, 'workflow-execution', 'show', String(id));
  assert.equal(show.status, 'stopping', 'live while its task is stopping');
  const refused = await server.cli('workflow-execution', 'delete', String(id));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /CONFLICT/);
  const again = await server.cli('workflow-execution', 'stop', String(id));
  assert.equal(again.code, 0, 'stopping a stopping execution is accepted and changes nothing');

  const stopped = await executions.finished(id);
  assert.equal(stopped.value, 'stopped');
  const taskStopped = (await task.reachedTimes('stopped', 1))[0]!;
  assert.ok(taskStopped.offset < stopped.offset, "the task's stopped event comes before the execution's");
  const statuses = await json<{ value: string; context: string }[]>(
    server,
    'event',
    'list',
    '-k',
    '$workflow/slow_stop',
  );
  assert.deepEqual(
    statuses.map((e) => e.value),
    ['running', 'stopping', 'stopped'],
  );
  assert.equal((await server.cli('workflow-execution', 'delete', String(id))).code, 0);
});

test('stop-all leaves every execution stopping until its tasks have exited', async (t) => {
  const server = await startTestServer(t, { stopGraceMs: 10_000 });
  assert.equal((await server.cli('workflow', 'upload', SLOW_STOP)).code, 0);
  const task = await watchTask(t, server.url, 'slow_stop', 't');
  const executions = await watchExecutions(t, server.url, 'slow_stop');
  const { id } = await json<{ id: number }>(server, 'workflow-execution', 'start', 'slow_stop');
  await task.reached('running');
  const stopAll = await server.cli('workflow-execution', 'stop-all', 'slow_stop');
  assert.equal(stopAll.stdout, `1 workflow execution(s) stopping: ${id}\n`);
  await task.reached('stopping');
  const list = await json<{ id: number; status: string }[]>(
    server,
    'workflow-execution',
    'list',
    'slow_stop',
  );
  assert.deepEqual(
    list.map((e) => [e.id, e.status]),
    [[id, 'stopping']],
  );
  const deleted = await server.cli('workflow', 'delete', 'slow_stop');
  assert.equal(deleted.code, 1, 'a workflow with a stopping execution cannot be deleted');
  assert.match(deleted.stderr, /CONFLICT/);
  assert.equal((await executions.finished(id)).value, 'stopped');
});

test('a restart while an execution is stopping resumes the stop, and the execution ends stopped', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const first = await startTestServer(t, { home, port, stopGraceMs: 10_000 });
  assert.equal((await first.cli('workflow', 'upload', SLOW_STOP)).code, 0);
  const task = await watchTask(t, first.url, 'slow_stop', 't');
  const { id } = await json<{ id: number }>(first, 'workflow-execution', 'start', 'slow_stop');
  await task.reached('running');
  assert.equal((await first.cli('workflow-execution', 'stop', String(id))).code, 0);
  await task.reached('stopping');
  await first.close(); // the task process goes on trapping its SIGTERM

  const second = await startTestServer(t, { home, port, stopGraceMs: 10_000 });
  const executions = await watchExecutions(t, second.url, 'slow_stop');
  const stopped = await executions.finished(id);
  assert.equal(stopped.value, 'stopped');
  const tasks = await json<{ status: string }[]>(second, 'task-execution', 'list', String(id));
  assert.deepEqual(
    tasks.map((r) => r.status),
    ['stopped'],
  );
});
