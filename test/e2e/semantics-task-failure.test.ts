// A failing task is retried, a timed-out one killed; both report why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  startExecution,
  startWithRules,
  taskExecutions,
  watchExecutions,
  watchTask,
} from '../server-harness.ts';

test('§3.1 a failing task is retried with back-off through `retrying`, then fails', async (t) => {
  const server = await startWithRules(t);
  const flaky = await watchTask(t, server.url, 'retries', 'flaky');
  const executions = await watchExecutions(t, server.url, 'retries');
  const id = await startExecution(server, 'retries');
  assert.equal((await executions.finished(id)).value, 'failed');
  await flaky.reached('failed');
  assert.deepEqual(flaky.statuses(), [
    'queued',
    'running',
    'retrying',
    'queued',
    'running',
    'retrying',
    'queued',
    'running',
    'failed',
  ]);
  const [row] = await taskExecutions(server, id);
  assert.equal(row?.attempt, 3);
  assert.equal(row?.reason, 'exit code 1');
});

test('§3.5 a timed-out task is killed and reported failed with its status event', async (t) => {
  const server = await startWithRules(t);
  const slow = await watchTask(t, server.url, 'timeout', 'slow');
  const id = await startExecution(server, 'timeout');
  const failed = await slow.reached('failed');
  assert.equal(JSON.parse(failed.context ?? '{}').reason, 'timeout after 500 ms');
  const [row] = await taskExecutions(server, id);
  assert.ok(row?.pid);
  assert.throws(() => process.kill(row.pid!, 0), 'the task process is gone');
});
