// User conditions that throw or loop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sendEvent, startExecution, startWithRules, taskExecutions, watchTask } from '../server-harness.ts';

test('user conditions that throw or loop count as not met and do not stall the scheduler', async (t) => {
  const server = await startWithRules(t);
  const c = await watchTask(t, server.url, 'bad_conditions', 'c');
  const id = await startExecution(server, 'bad_conditions');
  await sendEvent(server, 'x');
  await sendEvent(server, 'x'); // the stateful condition of `c` is met at its second event
  await c.reached('success');
  assert.deepEqual(
    (await taskExecutions(server, id)).map((r) => r.task),
    ['c'],
  );
  const reasons = server.records.filter((r) => r.message === 'condition failed, counted as not met');
  assert.ok(reasons.some((r) => String(r.fields.reason).includes('condition bug')));
  assert.ok(reasons.some((r) => String(r.fields.reason).includes('longer than')));
  await server.cli('workflow-execution', 'stop', String(id));
});
