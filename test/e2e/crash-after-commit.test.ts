import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  AIFLOW_BIN,
  freePort,
  ROOT,
  run,
  startSchedulerProcess,
  startServerProcess,
  tempDir,
} from '../helpers.ts';
import { watchExecutions } from '../server-harness.ts';

test('kill -9 of the scheduler after a batch is committed and before its effects ran: the restart submits the task once and publishes its statuses once', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const aiflow = (...args: string[]) => run(process.execPath, [AIFLOW_BIN, ...args, '-s', url]);
  // The broker stays up; the scheduler process (the child of `server start`, run here by hand) is the one killed.
  await startServerProcess(t, { home, port, args: ['--no-scheduler'] });
  const scheduler = await startSchedulerProcess(t, {
    home,
    url,
    env: { AIFLOW_TEST_CRASH_AT: 'after-commit:event:go' },
  });
  assert.equal((await aiflow('workflow', 'upload', join(ROOT, 'test/fixtures/scheduler/on-go.ts'))).code, 0);
  const started = await aiflow('workflow-execution', 'start', 'on_go', '-o', 'json');
  const { id } = JSON.parse(started.stdout) as { id: number };
  const exited = once(scheduler, 'exit');
  assert.equal((await aiflow('event', 'send', 'go', 'now')).code, 0);
  await exited;
  assert.equal(scheduler.signalCode, 'SIGKILL', 'the scheduler died at the crash point');

  await startSchedulerProcess(t, { home, url });
  const executions = await watchExecutions(t, url, 'on_go');
  assert.equal((await executions.finished(id)).value, 'success');
  const listed = await aiflow('task-execution', 'list', String(id), '-o', 'json');
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { task: string; sequence: number; status: string }[]).map((r) => [
      r.task,
      r.sequence,
      r.status,
    ]),
    [['t', 1, 'success']],
    'the committed start was neither lost nor repeated',
  );
  const statuses = await aiflow('event', 'list', '-k', '$task/on_go/t', '-o', 'json');
  assert.deepEqual(
    (JSON.parse(statuses.stdout) as { value: string }[]).map((e) => e.value),
    ['queued', 'running', 'success'],
    'the status committed before the crash was published once, after the restart',
  );
});
