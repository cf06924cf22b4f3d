import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { logPath, taskRuntimeEnv } from '../../scheduler/executor/index.ts';
import { createExecutor, waitForFile } from '../fixtures/executor/recorder.ts';
import { ROOT } from '../helpers.ts';

const MODULE = `${ROOT}test/fixtures/executor/function-workflow.ts`;
const fn = (task: string) =>
  ({ type: 'function', moduleFile: MODULE, workflow: 'executor_fixture', task }) as const;

test('a function task gets its context from the environment and its output goes to the log', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  const env = taskRuntimeEnv({
    namespace: 'executor-ns',
    workflowExecutionId: 5,
    taskExecutionId: 1,
    sequence: 3,
  });
  await executor.submit({ taskExecutionId: 1, operator: fn('report'), env, timeoutMs: null });
  assert.deepEqual(await events.waitFinished(1), {
    taskExecutionId: 1,
    status: 'success',
    exitCode: null,
    signal: null,
    reason: 'function returned',
  });
  const log = readFileSync(logPath(dataDir, 1), 'utf8');
  const context = {
    name: 'executor_fixture',
    task: 'report',
    namespace: 'executor-ns',
    workflowExecutionId: 5,
    taskExecutionId: 1,
    sequence: 3,
  };
  assert.ok(log.includes(JSON.stringify(context)), log);
  assert.match(log, /report to stderr/);
});

test('a function that throws fails with the error as reason and its stack in the log', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  await executor.submit({ taskExecutionId: 2, operator: fn('boom'), env: {}, timeoutMs: null });
  const finished = await events.waitFinished(2);
  assert.equal(finished.status, 'failed');
  assert.equal(finished.reason, 'Error: boom happened');
  assert.match(readFileSync(logPath(dataDir, 2), 'utf8'), /function-workflow\.ts/);
});

test('an exception thrown outside the function promise fails the task', async (t) => {
  const { executor, events } = createExecutor(t);
  await executor.submit({ taskExecutionId: 3, operator: fn('late_throw'), env: {}, timeoutMs: null });
  const finished = await events.waitFinished(3);
  assert.equal(finished.status, 'failed');
  assert.equal(finished.reason, 'Error: thrown from a timer');
});

test('the runner exits once the function returned, even with a timer left running', async (t) => {
  const { executor, events } = createExecutor(t);
  await executor.submit({ taskExecutionId: 4, operator: fn('leaves_timer'), env: {}, timeoutMs: null });
  assert.equal((await events.waitFinished(4)).status, 'success');
});

test('a stop aborts the context signal and the function task finishes stopped', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  await executor.submit({ taskExecutionId: 5, operator: fn('until_stopped'), env: {}, timeoutMs: null });
  await events.waitStarted(5);
  await waitForFile(logPath(dataDir, 5), (log) => log.includes('waiting for a stop'));
  await executor.stop(5);
  // The runner wrote the status itself: no exit code of a crash, no SIGKILL.
  assert.deepEqual(events.finished.get(5), {
    taskExecutionId: 5,
    status: 'stopped',
    exitCode: null,
    signal: null,
    reason: 'stopped on request',
  });
  assert.match(readFileSync(logPath(dataDir, 5), 'utf8'), /stop received/);
});

test('an unknown workflow or task fails the task with a reason', async (t) => {
  const { executor, events } = createExecutor(t);
  const operator = { ...fn('report'), workflow: 'nope' };
  await executor.submit({ taskExecutionId: 6, operator, env: {}, timeoutMs: null });
  await executor.submit({ taskExecutionId: 7, operator: fn('missing'), env: {}, timeoutMs: null });
  assert.match((await events.waitFinished(6)).reason, /no workflow named nope/);
  assert.match((await events.waitFinished(7)).reason, /has no task "missing"/);
});
