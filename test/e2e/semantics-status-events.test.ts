// Status changes of tasks and executions are events in the log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startExecution, startWithRules, watchExecutions } from '../server-harness.ts';

test('§2.5 task status changes are events, in order, with their execution in the context', async (t) => {
  const server = await startWithRules(t);
  const executions = await watchExecutions(t, server.url, 'never_needed');
  const id = await startExecution(server, 'never_needed');
  await executions.finished(id);
  const listed = await server.cli('event', 'list', '-k', '$task/never_needed/ok', '-o', 'json');
  const events = JSON.parse(listed.stdout) as { value: string; context: string; sender: string }[];
  assert.deepEqual(
    events.map((e) => e.value),
    ['queued', 'running', 'success'],
  );
  assert.ok(
    events.every((e) => JSON.parse(e.context).workflowExecutionId === id && e.sender === 'aiflow-scheduler'),
  );
});

test('§3.2 workflow execution status changes are events', async (t) => {
  const server = await startWithRules(t);
  const executions = await watchExecutions(t, server.url, 'never_needed');
  const id = await startExecution(server, 'never_needed');
  await executions.finished(id);
  const listed = await server.cli('event', 'list', '-k', '$workflow/never_needed', '-o', 'json');
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { value: string }[]).map((e) => e.value),
    ['running', 'success'],
  );
});
