import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SchedulerClient } from '../../client/index.ts';
import { CRASH_AT_ENV, CRASH_POINTS } from '../../scheduler/executor/crash-points.ts';
import { shellRunnerArgs } from '../../scheduler/executor/shell-runner.ts';
import { ALREADY_STARTED_EXIT_CODE, taskFiles } from '../../scheduler/executor/task-files.ts';
import { createExecutor, waitForFile } from '../fixtures/executor/recorder.ts';
import {
  connectClient,
  freePort,
  run,
  startSchedulerProcess,
  startServerProcess,
  tempDir,
} from '../helpers.ts';
import { watchExecutions } from '../server-harness.ts';

// The real scheduler process (the executor's home) is killed (SIGKILL, by itself) at each named crash point of a
// task start or end, then restarted on the same home beside the same broker: every task of a two-task chain must run exactly once (each appends a line to a file) and end
// with its real status.

/** `a` fails with exit code 3 (its real outcome must survive the crash), then `b` runs on that failure. */
function chainModule(runsFile: string): string {
  const append = (task: string) => `echo ${task} >> ${JSON.stringify(runsFile)}`;
  return [
    "import { TaskAction, TaskStatus, Workflow } from 'aiflow-mqtt/workflow';",
    "const chain = new Workflow('crash');",
    `chain.bash('a', ${JSON.stringify(`${append('a')}; exit 3`)});`,
    `chain.bash('b', ${JSON.stringify(append('b'))})`,
    '  .actionOnTaskStatus(TaskAction.START, { a: TaskStatus.FAILED });',
    'export default chain;',
    '',
  ].join('\n');
}

async function killedAt(process: ChildProcess): Promise<NodeJS.Signals | null> {
  if (process.exitCode === null && process.signalCode === null) await once(process, 'exit');
  return process.signalCode;
}

// Three at a time: each case is mostly two server cold starts, and the file must stay well inside its time limit.
describe('a scheduler killed at each crash point', { concurrency: 3 }, () => {
  for (const point of CRASH_POINTS) {
    it(`killed ${point}: after a restart each task ran exactly once and ended with its real status`, async (t) => {
      const home = tempDir(t);
      const runsFile = join(tempDir(t), 'runs');
      const port = await freePort();
      const url = `mqtt://127.0.0.1:${port}`;
      await startServerProcess(t, { home, port, args: ['--no-scheduler'] });
      const doomed = await startSchedulerProcess(t, { home, url, env: { [CRASH_AT_ENV]: point } });

      const client = await SchedulerClient.connect({ server: url });
      await client.call('workflow.upload', { fileName: 'crash.ts', source: chainModule(runsFile) });
      // The scheduler dies while (or soon after) it handles the start: its reply may never come.
      client.startWorkflowExecution({ workflow: 'crash' }).catch(() => undefined);
      assert.equal(await killedAt(doomed), 'SIGKILL', `the scheduler reached ${point}`);
      await client.close(); // so that the request is not sent again to the next scheduler

      await startSchedulerProcess(t, { home, url });
      const executions = await watchExecutions(t, url, 'crash');
      assert.equal((await executions.finished(1)).value, 'failed', 'the status of a failed task decides');
      assert.equal(readFileSync(runsFile, 'utf8'), 'a\nb\n', 'each task ran once');
      const after = await SchedulerClient.connect({ server: url });
      t.after(() => after.close());
      const tasks = await after.call('taskExecution.list', { workflowExecutionId: 1 });
      assert.deepEqual(
        tasks.map((r) => [r.task, r.status, r.reason]),
        [
          ['a', 'failed', 'exit code 3'],
          ['b', 'success', null],
        ],
      );
      const runs = await after.call('workflowExecution.list', { workflow: 'crash' });
      const listener = await connectClient(t, url);
      assert.equal(runs.length, 1, 'one execution');
      for (const task of ['a', 'b']) {
        const events = await listener.listEvents({ keys: [`$task/crash/${task}`] });
        assert.deepEqual(
          events.map((e) => e.value),
          ['queued', 'running', task === 'a' ? 'failed' : 'success'],
          `${task}: each status once, none lost`,
        );
      }
    });
  }
});

// What the restarted executor relies on, each in isolation.

const bash = (command: string) => ({ type: 'bash', command }) as const;

it('a live runner whose pid was never recorded is found by the spec file on its command line', async (t) => {
  const a = createExecutor(t);
  const counter = join(a.dataDir, 'runs');
  const request = {
    taskExecutionId: 3,
    operator: bash(`echo run >> ${counter}; sleep 1`),
    env: {},
    timeoutMs: null,
  };
  await a.executor.submit(request);
  const { pid } = await a.events.waitStarted(3);
  await a.executor.close();
  // As if the executor died right after the spawn, and the runner had not yet written its start file.
  const files = taskFiles(a.dataDir, 3);
  await waitForFile(counter); // the runner is past its first act
  rmSync(files.pid);
  rmSync(files.started);

  const b = createExecutor(t, { dataDir: a.dataDir });
  await b.executor.submit(request);
  assert.deepEqual(b.events.started.get(3), { taskExecutionId: 3, pid });
  assert.equal((await b.events.waitFinished(3)).status, 'success');
  assert.equal(readFileSync(counter, 'utf8'), 'run\n');
});

it('of two runners of one task execution, only the one that creates the start file runs the command', async (t) => {
  const dataDir = tempDir(t);
  const files = taskFiles(dataDir, 4);
  const counter = join(dataDir, 'runs');
  const runner = () =>
    run('bash', shellRunnerArgs(`echo run >> ${counter}`, files)).then((result) => result.code);
  const codes = await Promise.all([runner(), runner()]);
  assert.deepEqual(
    codes.sort((x, y) => (x ?? 0) - (y ?? 0)),
    [0, ALREADY_STARTED_EXIT_CODE],
  );
  assert.equal(readFileSync(counter, 'utf8'), 'run\n');
});
