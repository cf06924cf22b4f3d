import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { once } from 'node:events';
import {
  AIFLOW_BIN,
  freePort,
  ROOT,
  run,
  startSchedulerProcess,
  startServerProcess,
  tempDir,
} from '../helpers.ts';
import { startTestServer, watchExecutions, watchTask } from '../server-harness.ts';

test('a graceful restart in the middle of a run: the workflow completes and every task ran exactly once', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const first = await startTestServer(t, { home, port });
  assert.equal(
    (await first.cli('workflow', 'upload', join(ROOT, 'test/fixtures/scheduler/chain.ts'))).code,
    0,
  );
  const a = await watchTask(t, first.url, 'chain', 'a');
  const started = await first.cli('workflow-execution', 'start', 'chain', '-o', 'json');
  const { id } = JSON.parse(started.stdout) as { id: number };
  await a.reached('running');
  await first.close(); // `aiflow server stop`: the task process keeps running

  const second = await startTestServer(t, { home, port });
  const executions = await watchExecutions(t, second.url, 'chain');
  assert.equal((await executions.finished(id)).value, 'success');
  const listed = await second.cli('task-execution', 'list', String(id), '-o', 'json');
  const rows = JSON.parse(listed.stdout) as { task: string; sequence: number; status: string }[];
  assert.deepEqual(
    rows.map((r) => [r.task, r.sequence, r.status]),
    [
      ['a', 1, 'success'],
      ['b', 1, 'success'],
      ['c', 1, 'success'],
    ],
  );
  const statuses = await second.cli('event', 'list', '-k', '$task/chain/a', '-o', 'json');
  assert.deepEqual(
    (JSON.parse(statuses.stdout) as { value: string }[]).map((e) => e.value),
    ['queued', 'running', 'success'],
    'no status repeated, none lost',
  );
});

test('kill -9 of the server in the middle of a run: after a restart the workflow completes, each task once', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const aiflow = (...args: string[]) => run(process.execPath, [AIFLOW_BIN, ...args, '-s', url]);
  const server = await startServerProcess(t, { home, port });
  assert.equal((await aiflow('workflow', 'upload', join(ROOT, 'test/fixtures/scheduler/chain.ts'))).code, 0);
  const a = await watchTask(t, url, 'chain', 'a');
  const started = await aiflow('workflow-execution', 'start', 'chain', '-o', 'json');
  const { id } = JSON.parse(started.stdout) as { id: number };
  await a.reached('running');
  server.kill('SIGKILL');
  await once(server, 'exit');

  await startServerProcess(t, { home, port });
  const executions = await watchExecutions(t, url, 'chain');
  assert.equal((await executions.finished(id)).value, 'success');
  const listed = await aiflow('task-execution', 'list', String(id), '-o', 'json');
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { task: string; status: string }[]).map((r) => [r.task, r.status]),
    [
      ['a', 'success'],
      ['b', 'success'],
      ['c', 'success'],
    ],
  );
});

test('the broker and the scheduler as two processes: server start --no-scheduler, then scheduler start', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const aiflow = (...args: string[]) => run(process.execPath, [AIFLOW_BIN, ...args, '-s', url]);
  await startServerProcess(t, { home, port, args: ['--no-scheduler'] });
  const early = await aiflow('workflow', 'list');
  assert.equal(early.code, 1);
  assert.match(early.stderr, /^aiflow: SCHEDULER_NOT_RUNNING: no scheduler is connected\n$/);

  const scheduler = await startSchedulerProcess(t, { home, url });

  assert.equal((await aiflow('workflow', 'upload', join(ROOT, 'examples/workflows/quickstart.ts'))).code, 0);
  const executions = await watchExecutions(t, url, 'quickstart');
  const started = await aiflow('workflow-execution', 'start', 'quickstart', '-o', 'json');
  const { id } = JSON.parse(started.stdout) as { id: number };
  assert.equal((await executions.finished(id)).value, 'success');
  const exited = once(scheduler, 'exit');
  scheduler.kill('SIGTERM');
  assert.deepEqual(await exited, [0, null], 'a graceful stop');
});
