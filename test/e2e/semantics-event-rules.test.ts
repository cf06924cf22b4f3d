// The event rules of the execution semantics: which tasks an event reaches and which rule applies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  sendEvent,
  startExecution,
  startWithRules,
  taskExecutions,
  watchExecutions,
  watchTask,
} from '../server-harness.ts';

test('§2.1 tasks without a START rule start at once; the others wait for their event', async (t) => {
  const server = await startWithRules(t);
  const plain = await watchTask(t, server.url, 'auto_start', 'plain');
  const stoppable = await watchTask(t, server.url, 'auto_start', 'stoppable');
  const executions = await watchExecutions(t, server.url, 'auto_start');
  const id = await startExecution(server, 'auto_start');
  await plain.reached('success');
  await stoppable.reached('success');
  assert.deepEqual(
    (await taskExecutions(server, id)).map((r) => r.task).sort(),
    ['plain', 'stoppable'],
    '`waiting` has not started',
  );
  await sendEvent(server, 'go');
  assert.equal((await executions.finished(id)).value, 'success');
  assert.deepEqual((await taskExecutions(server, id)).map((r) => r.task).sort(), [
    'plain',
    'stoppable',
    'waiting',
  ]);
});

test('§2.3 one event is considered by every task; within a task the first matching rule wins', async (t) => {
  const server = await startWithRules(t);
  const r = await watchTask(t, server.url, 'independent', 'r');
  const id = await startExecution(server, 'independent');
  await sendEvent(server, 'e');
  await r.reached('running');
  const rows = await taskExecutions(server, id);
  assert.deepEqual(rows.map((row) => row.task).sort(), ['p', 'q', 'r']);
  assert.notEqual(
    rows.find((row) => row.task === 'r')?.status,
    'stopped',
    'START came first, so STOP was not applied',
  );
});

test('§2.4 an event with an execution context reaches only that execution; one without reaches every running one', async (t) => {
  const server = await startWithRules(t);
  const executions = await watchExecutions(t, server.url, 'scoped');
  const first = await startExecution(server, 'scoped');
  const second = await startExecution(server, 'scoped');
  await sendEvent(server, 'ping', JSON.stringify({ workflowExecutionId: first }));
  assert.equal((await executions.finished(first)).value, 'success', 'its listener ran');
  assert.equal((await taskExecutions(server, second)).length, 0, 'the other execution did not react');
  await sendEvent(server, 'ping');
  assert.equal((await executions.finished(second)).value, 'success');
  assert.equal((await taskExecutions(server, second)).length, 1);
  assert.equal((await taskExecutions(server, first)).length, 1, 'a finished execution no longer reacts');
});
