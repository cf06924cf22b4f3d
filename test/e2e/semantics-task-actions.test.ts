// START, RESTART and STOP on live, stopping and queued tasks.
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

test('§2.2 START on a live task does nothing, RESTART replaces it, STOP stops it (§3.4: STOP before any run is a no-op)', async (t) => {
  const server = await startWithRules(t);
  const task = await watchTask(t, server.url, 'actions', 't');
  const executions = await watchExecutions(t, server.url, 'actions');
  const id = await startExecution(server, 'actions');
  await sendEvent(server, 'stop'); // the task never ran: nothing happens, nothing breaks
  await sendEvent(server, 'start');
  await task.reached('running');
  await sendEvent(server, 'start');
  await sendEvent(server, 'restart');
  await task.reached('stopped');
  const afterRestart = await taskExecutions(server, id);
  assert.deepEqual(
    afterRestart.map((r) => [
      r.sequence,
      r.status === 'stopped' || r.status === 'stopping' ? 'stopped' : 'live',
    ]),
    [
      [1, 'stopped'],
      [2, 'live'],
    ],
    'the second START did nothing; RESTART stopped #1 and started #2',
  );
  await sendEvent(server, 'stop');
  assert.equal((await executions.finished(id)).value, 'stopped');
  assert.deepEqual(
    (await taskExecutions(server, id)).map((r) => r.status),
    ['stopped', 'stopped'],
  );
});

test('§3.6 a stopped queued task never runs; START while stopping does not start a second execution', async (t) => {
  const server = await startWithRules(t, { parallelism: 1 });
  const t1 = await watchTask(t, server.url, 'stubborn', 't');
  const id = await startExecution(server, 'stubborn');
  await sendEvent(server, 'start');
  await t1.reached('running');
  await sendEvent(server, 'stop');
  await t1.reached('stopping');
  await sendEvent(server, 'start'); // while stopping: ignored
  await t1.reached('stopped');
  assert.equal((await taskExecutions(server, id)).length, 1);

  // With parallelism 1, a second execution's task waits in the queue behind a running one; stop it there.
  const blocker = await startExecution(server, 'stubborn');
  await sendEvent(server, 'start', JSON.stringify({ workflowExecutionId: blocker }));
  const queued = await startExecution(server, 'stubborn');
  await sendEvent(server, 'start', JSON.stringify({ workflowExecutionId: queued }));
  const stopped = await server.cli('task-execution', 'stop', String(queued), 't');
  assert.equal(stopped.code, 0, stopped.stderr);
  for (;;) {
    const [row] = await taskExecutions(server, queued);
    if (row?.status === 'stopped') {
      assert.equal(row.pid, null, 'it never started');
      assert.equal(row.reason, 'stopped before start', 'taken back from the queue, not killed');
      break;
    }
    await t1.reached('stopped');
  }
  await server.cli('workflow-execution', 'stop', String(blocker));
});
