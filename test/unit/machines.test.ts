import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor } from 'xstate';
import {
  taskExecutionMachine,
  type TaskExecutionEvent,
} from '../../scheduler/machines/task-execution.machine.ts';
import { workflowExecutionMachine } from '../../scheduler/machines/workflow-execution.machine.ts';

/** A task execution actor whose side effects are recorded instead of performed. */
function taskActor(maxRetries = 0) {
  const effects: string[] = [];
  const record = (name: string) => () => effects.push(name);
  const machine = taskExecutionMachine.provide({
    actions: {
      submit: record('submit'),
      stopProcess: record('stopProcess'),
      scheduleRetry: record('scheduleRetry'),
      cancelRetry: record('cancelRetry'),
    },
  });
  const actor = createActor(machine, { input: { taskExecutionId: 1, maxRetries } }).start();
  const send = (...events: TaskExecutionEvent[]) => events.forEach((e) => actor.send(e));
  return { actor, effects, send, status: () => actor.getSnapshot().value };
}

test('a task execution goes init → queued → running → success, submitting once', () => {
  const t = taskActor();
  assert.equal(t.status(), 'init');
  t.send({ type: 'task.queue' });
  assert.equal(t.status(), 'queued');
  t.send({ type: 'task.started' }, { type: 'task.succeeded' });
  assert.equal(t.status(), 'success');
  assert.deepEqual(t.effects, ['submit']);
});

test('a failure with retries left goes to retrying, then queued again with the next attempt', () => {
  const t = taskActor(1);
  t.send({ type: 'task.queue' }, { type: 'task.started' }, { type: 'task.failed', reason: 'exit code 1' });
  assert.equal(t.status(), 'retrying');
  assert.equal(t.actor.getSnapshot().context.reason, 'exit code 1');
  t.send({ type: 'task.retryDue' });
  assert.equal(t.status(), 'queued');
  assert.equal(t.actor.getSnapshot().context.attempt, 2);
  t.send({ type: 'task.started' }, { type: 'task.failed', reason: 'exit code 2' });
  assert.equal(t.status(), 'failed', 'no retries left');
  assert.deepEqual(t.effects, ['submit', 'scheduleRetry', 'submit']);
});

test('stop: running → stopping → stopped; a queued task is stopped through the executor; init stops at once', () => {
  const running = taskActor();
  running.send({ type: 'task.queue' }, { type: 'task.started' }, { type: 'task.stop' });
  assert.equal(running.status(), 'stopping');
  running.send({ type: 'task.started' }); // a late report changes nothing
  running.send({ type: 'task.stopped' });
  assert.equal(running.status(), 'stopped');
  assert.deepEqual(running.effects, ['submit', 'stopProcess']);

  const queued = taskActor();
  queued.send({ type: 'task.queue' }, { type: 'task.stop' });
  assert.equal(queued.status(), 'stopping');
  queued.send({ type: 'task.stopped' });
  assert.equal(queued.status(), 'stopped');

  const init = taskActor();
  init.send({ type: 'task.stop' });
  assert.equal(init.status(), 'stopped');
  assert.deepEqual(init.effects, []);
});

test('stopping a retrying task cancels its timer; finished states absorb later reports', () => {
  const t = taskActor(3);
  t.send(
    { type: 'task.queue' },
    { type: 'task.started' },
    { type: 'task.failed', reason: 'x' },
    { type: 'task.stop' },
  );
  assert.equal(t.status(), 'stopped');
  assert.deepEqual(t.effects, ['submit', 'scheduleRetry', 'cancelRetry']);
  t.send({ type: 'task.retryDue' }, { type: 'task.started' }, { type: 'task.succeeded' });
  assert.equal(t.status(), 'stopped');
});

test('a task execution restored from its status continues without replaying entry actions', () => {
  const effects: string[] = [];
  const machine = taskExecutionMachine.provide({ actions: { submit: () => effects.push('submit') } });
  const snapshot = machine.resolveState({
    value: 'running',
    context: { taskExecutionId: 1, attempt: 1, maxRetries: 0, reason: null },
  });
  const actor = createActor(machine, { snapshot, input: { taskExecutionId: 1, maxRetries: 0 } }).start();
  assert.equal(actor.getSnapshot().value, 'running');
  actor.send({ type: 'task.succeeded' });
  assert.equal(actor.getSnapshot().value, 'success');
  assert.deepEqual(effects, []);
});

test('a workflow execution settles to the outcome given', () => {
  const outcomes = ['success', 'failed', 'stopped'] as const;
  for (const outcome of outcomes) {
    const entered: string[] = [];
    const actor = createActor(
      workflowExecutionMachine.provide({ actions: { entered: (_, { status }) => entered.push(status) } }),
      { input: { workflowExecutionId: 1 } },
    ).start();
    actor.send({ type: 'execution.settled', outcome });
    assert.equal(actor.getSnapshot().value, outcome);
    assert.deepEqual(entered, [outcome]);
  }
});

test('a stopped workflow execution stays stopping until its tasks have drained; settling meanwhile changes nothing', () => {
  const effects: string[] = [];
  const actor = createActor(
    workflowExecutionMachine.provide({
      actions: {
        stopTasks: () => effects.push('stopTasks'),
        entered: (_, { status }) => effects.push(status),
      },
    }),
    { input: { workflowExecutionId: 1 } },
  ).start();
  actor.send({ type: 'execution.stop' });
  assert.equal(actor.getSnapshot().value, 'stopping');
  actor.send({ type: 'execution.settled', outcome: 'success' });
  actor.send({ type: 'execution.stop' });
  assert.equal(actor.getSnapshot().value, 'stopping');
  actor.send({ type: 'execution.drained' });
  assert.equal(actor.getSnapshot().value, 'stopped');
  assert.deepEqual(effects, ['stopping', 'stopTasks', 'stopped']);
});
