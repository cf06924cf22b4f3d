import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AIFlowError } from '../../protocol/errors.ts';
import { logPath, TASK_RUNTIME_ENV, taskRuntimeEnv, type Clock } from '../../scheduler/executor/index.ts';
import { createExecutor, holdingClock, isAlive, taskProbe } from '../fixtures/executor/recorder.ts';
import { tempDir } from '../helpers.ts';

const bash = (command: string) => ({ type: 'bash', command }) as const;

test('a command that exits with 0 succeeds', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  await executor.submit({ taskExecutionId: 1, operator: bash('true'), env: {}, timeoutMs: null });
  const started = await events.waitStarted(1);
  assert.ok(started.pid > 0);
  assert.deepEqual(await events.waitFinished(1), {
    taskExecutionId: 1,
    status: 'success',
    exitCode: 0,
    signal: null,
    reason: 'exit code 0',
  });
  assert.deepEqual(executor.running(), []);
  const status = JSON.parse(readFileSync(join(dataDir, '1.status.json'), 'utf8')) as { status: string };
  assert.equal(status.status, 'success');
});

test('a command that exits with 3 fails with its exit code', async (t) => {
  const { executor, events } = createExecutor(t);
  await executor.submit({ taskExecutionId: 2, operator: bash('exit 3'), env: {}, timeoutMs: null });
  const finished = await events.waitFinished(2);
  assert.equal(finished.status, 'failed');
  assert.equal(finished.exitCode, 3);
  assert.equal(finished.reason, 'exit code 3');
});

test('stdout and stderr are appended to the log file', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  await executor.submit({
    taskExecutionId: 3,
    operator: bash('echo to-out; echo to-err >&2'),
    env: {},
    timeoutMs: null,
  });
  await events.waitFinished(3);
  assert.equal(executor.logPath(3), logPath(dataDir, 3));
  const log = readFileSync(logPath(dataDir, 3), 'utf8');
  assert.match(log, /to-out/);
  assert.match(log, /to-err/);
});

test('the task sees the env of its request, the runtime variables and the working directory', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  const cwd = tempDir(t);
  const env = {
    ...taskRuntimeEnv({ namespace: 'ns1', workflowExecutionId: 9, taskExecutionId: 4, sequence: 2 }),
    AIFLOW_TEST_VALUE: 'hello world',
  };
  const command = `echo "value=$AIFLOW_TEST_VALUE we=$${TASK_RUNTIME_ENV.workflowExecutionId} seq=$${TASK_RUNTIME_ENV.sequence} cwd=$PWD"`;
  await executor.submit({ taskExecutionId: 4, operator: bash(command), env, timeoutMs: null, cwd });
  assert.equal((await events.waitFinished(4)).status, 'success');
  assert.match(
    readFileSync(logPath(dataDir, 4), 'utf8'),
    new RegExp(`value=hello world we=9 seq=2 cwd=${cwd}`),
  );
});

test('with parallelism 1, three tasks run one at a time in FIFO order', async (t) => {
  const { executor, events } = createExecutor(t, { parallelism: 1 });
  for (const id of [11, 12, 13])
    await executor.submit({ taskExecutionId: id, operator: bash('true'), env: {}, timeoutMs: null });
  assert.equal(executor.running().length, 1);
  await events.waitFinished(13);
  assert.deepEqual(events.order, ['start:11', 'finish:11', 'start:12', 'finish:12', 'start:13', 'finish:13']);
});

test('a queued task that is stopped finishes stopped and never starts', async (t) => {
  const { executor, events, dataDir } = createExecutor(t, { parallelism: 1 });
  const marker = join(dataDir, 'ran');
  await executor.submit({ taskExecutionId: 21, operator: bash('sleep 30'), env: {}, timeoutMs: null });
  await executor.submit({ taskExecutionId: 22, operator: bash(`touch ${marker}`), env: {}, timeoutMs: null });
  await executor.stop(22);
  assert.deepEqual(events.finished.get(22), {
    taskExecutionId: 22,
    status: 'stopped',
    exitCode: null,
    signal: null,
    reason: 'stopped before start',
  });
  await executor.stop(21);
  assert.deepEqual(events.order, ['start:21', 'finish:22', 'finish:21']);
  assert.equal(existsSync(marker), false);
  assert.equal(existsSync(join(dataDir, '22.spec.json')), false);
});

test('a queued task taken back never starts and reports nothing; a started one cannot be taken back', async (t) => {
  const { executor, events, dataDir } = createExecutor(t, { parallelism: 1 });
  const marker = join(dataDir, 'ran');
  await executor.submit({ taskExecutionId: 31, operator: bash('sleep 30'), env: {}, timeoutMs: null });
  await executor.submit({ taskExecutionId: 32, operator: bash(`touch ${marker}`), env: {}, timeoutMs: null });
  assert.equal(executor.withdraw(32), true);
  assert.equal(executor.withdraw(32), false, 'already taken back');
  assert.equal(executor.withdraw(31), false, 'it runs');
  assert.equal(executor.queued, 0);
  await executor.stop(31);
  assert.deepEqual(events.order, ['start:31', 'finish:31'], 'no report for the one taken back');
  assert.equal(existsSync(marker), false);
  // Handed out again (a STOP undone), it runs like any other.
  await executor.submit({ taskExecutionId: 32, operator: bash(`touch ${marker}`), env: {}, timeoutMs: null });
  await events.waitFinished(32);
  assert.equal(existsSync(marker), true);
});

test('stopping a running task kills its whole process group, grandchildren included', async (t) => {
  const { executor, events } = createExecutor(t);
  const probe = await taskProbe(t);
  await executor.submit({
    taskExecutionId: 31,
    operator: bash(`${probe.open}; sleep 30 & echo $! >&3; wait`),
    env: {},
    timeoutMs: null,
  });
  const { pid } = await events.waitStarted(31);
  const grandchild = Number(await probe.firstLine());
  assert.ok(isAlive(grandchild));
  await executor.stop(31);
  const finished = events.finished.get(31);
  assert.equal(finished?.status, 'stopped');
  assert.equal(finished?.reason, 'stopped on request');
  await probe.closed(); // bash and its background sleep exited
  assert.equal(isAlive(grandchild), false);
  assert.equal(isAlive(pid), false);
});

test('a task that ignores SIGTERM is killed with SIGKILL after the grace period', async (t) => {
  const { executor, events } = createExecutor(t, { stopGraceMs: 300 });
  const probe = await taskProbe(t);
  const command = `trap '' TERM; ${probe.open}; echo $$ >&3; sleep 30`;
  await executor.submit({ taskExecutionId: 41, operator: bash(command), env: {}, timeoutMs: null });
  const stubborn = Number(await probe.firstLine());
  await executor.stop(41);
  assert.deepEqual(events.finished.get(41), {
    taskExecutionId: 41,
    status: 'stopped',
    exitCode: null,
    signal: 'SIGKILL', // the runner itself had to be killed: the executor wrote the status
    reason: 'stopped on request',
  });
  await probe.closed();
  assert.equal(isAlive(stubborn), false);
});

test('a task running longer than its timeout is killed and fails', async (t) => {
  const { clock, release } = holdingClock(30_000);
  const { executor, events, dataDir } = createExecutor(t, { clock });
  const probe = await taskProbe(t);
  const command = `${probe.open}; sleep 30 & echo $! >&3; wait`;
  await executor.submit({ taskExecutionId: 51, operator: bash(command), env: {}, timeoutMs: 60_000 });
  const { pid } = await events.waitStarted(51);
  const grandchild = Number(await probe.firstLine());
  release(); // the 60 s have passed, as far as the executor knows
  const finished = await events.waitFinished(51);
  assert.equal(finished.status, 'failed');
  assert.equal(finished.reason, 'timeout after 60000 ms');
  await probe.closed();
  assert.equal(isAlive(grandchild), false);
  assert.equal(isAlive(pid), false);
  const status = JSON.parse(readFileSync(join(dataDir, '51.status.json'), 'utf8')) as { reason: string };
  assert.equal(status.reason, 'timeout after 60000 ms', 'the runner wrote why it was killed');
});

test('a timeout of a task that ignores SIGTERM still fails it, after SIGKILL', async (t) => {
  const { clock, release } = holdingClock(30_000);
  const { executor, events } = createExecutor(t, { clock, stopGraceMs: 300 });
  const probe = await taskProbe(t);
  const command = `trap '' TERM; ${probe.open}; echo ready >&3; sleep 30`;
  await executor.submit({ taskExecutionId: 52, operator: bash(command), env: {}, timeoutMs: 60_000 });
  await probe.firstLine();
  release();
  assert.deepEqual(await events.waitFinished(52), {
    taskExecutionId: 52,
    status: 'failed',
    exitCode: null,
    signal: 'SIGKILL',
    reason: 'timeout after 60000 ms',
  });
  await probe.closed();
});

test('a real timeout fires on its own', async (t) => {
  const { executor, events } = createExecutor(t);
  await executor.submit({ taskExecutionId: 53, operator: bash('sleep 30'), env: {}, timeoutMs: 300 });
  const finished = await events.waitFinished(53);
  assert.equal(finished.status, 'failed');
  assert.equal(finished.reason, 'timeout after 300 ms');
});

test('submitting an id again is a no-op, in this executor and in a later one', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  const counter = join(dataDir, 'runs');
  const request = { taskExecutionId: 61, operator: bash(`echo run >> ${counter}`), env: {}, timeoutMs: null };
  await Promise.all([executor.submit(request), executor.submit(request)]);
  await events.waitFinished(61);
  await executor.submit(request);
  assert.deepEqual(events.order, ['start:61', 'finish:61']);

  // After a restart the scheduler may replay the start: the new executor reports the end it finds, never reruns.
  const later = createExecutor(t, { dataDir });
  await later.executor.submit(request);
  const finished = await later.events.waitFinished(61);
  assert.equal(finished.status, 'success');
  assert.equal(readFileSync(counter, 'utf8'), 'run\n');
});

test('a task whose runner cannot run bash in its cwd fails with a reason', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  const cwd = join(dataDir, 'missing');
  await executor.submit({ taskExecutionId: 71, operator: bash('true'), env: {}, timeoutMs: null, cwd });
  const finished = await events.waitFinished(71);
  assert.equal(finished.status, 'failed');
  assert.match(finished.reason, /ENOENT/);
});

test('invalid requests are rejected with INVALID_OPTION', async (t) => {
  const { executor } = createExecutor(t);
  const invalid = (error: unknown) => error instanceof AIFlowError && error.code === 'INVALID_OPTION';
  await assert.rejects(
    executor.submit({ taskExecutionId: -1, operator: bash('true'), env: {}, timeoutMs: null }),
    invalid,
  );
  const badOperator = { type: 'python' } as unknown as ReturnType<typeof bash>;
  await assert.rejects(
    executor.submit({ taskExecutionId: 1, operator: badOperator, env: {}, timeoutMs: null }),
    invalid,
  );
  await assert.rejects(
    executor.submit({ taskExecutionId: 1, operator: bash('true'), env: {}, timeoutMs: 0 }),
    invalid,
  );
});

test('close is idempotent; later submits are refused and stops are no-ops', async (t) => {
  const { executor, events } = createExecutor(t);
  await executor.submit({ taskExecutionId: 81, operator: bash('sleep 30'), env: {}, timeoutMs: null });
  const first = executor.close({ stopTasks: true });
  assert.equal(executor.close(), first);
  await first;
  assert.equal(events.finished.get(81)?.status, 'stopped');
  await assert.rejects(
    executor.submit({ taskExecutionId: 82, operator: bash('true'), env: {}, timeoutMs: null }),
    (error: unknown) => error instanceof AIFlowError && error.code === 'CLIENT_CLOSED',
  );
  await executor.stop(81);
  assert.deepEqual(executor.running(), []);
});

test('close clears every timer it made', async (t) => {
  const active = new Set<unknown>();
  const clock: Clock = {
    now: () => Date.now(),
    setTimeout(callback, ms) {
      const handle = setTimeout(() => {
        active.delete(handle);
        callback();
      }, ms);
      active.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      active.delete(handle);
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
  const { executor, events, dataDir } = createExecutor(t, { clock, stopGraceMs: 60_000 });
  const probe = await taskProbe(t);
  const command = `trap '' TERM; ${probe.open}; echo ready >&3; sleep 30`;
  await executor.submit({ taskExecutionId: 91, operator: bash(command), env: {}, timeoutMs: 60_000 });
  const { pid } = await events.waitStarted(91);
  await probe.firstLine(); // the runner's SIGTERM handler is in place once its bash runs
  void executor.stop(91); // arms the SIGKILL timer
  const other = createExecutor(t, { dataDir, clock });
  await other.executor.adopt([{ taskExecutionId: 91, pid, startTime: Date.now(), timeoutMs: 60_000 }]); // polls
  assert.equal(active.size, 5, 'timeout and SIGKILL timers of each executor, and the poll');
  await executor.close();
  await other.executor.close();
  assert.equal(active.size, 0);
  process.kill(-pid, 'SIGKILL');
});
