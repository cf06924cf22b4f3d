// Every kind of cause of a task action, recorded by the engine (real SQLite store, recording executor, manual clock).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskActionCauseRef, TaskActionInfo } from '../../protocol/task-actions.ts';
import type { TaskStatusContext } from '../../protocol/status-events.ts';
import type { MetadataStore } from '../../scheduler/store/metadata-store.ts';
import type { OutboxRecord } from '../../scheduler/store/records.ts';
import { runId } from '../../scheduler/task-request.ts';
import { TaskAction, Workflow } from '../../workflow/index.ts';
import { ManualClock } from '../manual-clock.ts';
import { engineOn, engineWith, event } from './engine-fixture.ts';

/** Each task execution of `task` in the execution, in order, with its actions. */
async function actionsOf(store: MetadataStore, executionId: number, task: string) {
  const runs = (await store.listTaskExecutions(executionId)).filter((r) => r.task === task);
  return Promise.all(runs.map(async (r) => ({ run: r, actions: await store.listTaskActions(r.id) })));
}

/** The `cause` of the status event `status` of a task execution, as published. */
function statusCause(published: OutboxRecord[], taskExecutionId: number, status: string) {
  const context = published
    .map((o) => JSON.parse(o.context) as TaskStatusContext)
    .find((c) => c.taskExecutionId === taskExecutionId && c.status === status);
  assert.ok(context, `a ${status} status event of task execution ${taskExecutionId}`);
  return context.cause;
}

function only(actions: TaskActionInfo[]): TaskActionInfo {
  assert.equal(actions.length, 1, JSON.stringify(actions));
  return actions[0]!;
}

test('rule: an event starts a task; the action names the rule, its text, the condition and the event, in the same commit', async (t) => {
  const wf = new Workflow('rules');
  wf.bash('train', 'true')
    .actionOnEventReceived(TaskAction.STOP, 'halt')
    .actionOnEventReceived(TaskAction.START, 'model_ready');
  const { engine, store, record, published } = await engineWith(t, wf);
  const id = await engine.request('start', (s) => s.startExecution(record, 'manual'));
  const ready = event('model_ready', null, 'trainer-7');
  const before = store.commits;
  await engine.events([ready]);
  assert.equal(
    store.commits,
    before + 1,
    'the action is committed with the task execution, no commit of its own',
  );
  const [train] = await actionsOf(store, id, 'train');
  const run = train!.run;
  const action = only(train!.actions);
  assert.equal(action.action, 'start');
  assert.equal(action.attempt, 1);
  assert.deepEqual(action.cause, {
    kind: 'rule',
    rule: 1,
    text: 'actionOnEventReceived(START, "model_ready")',
    condition: 'on event "model_ready"',
    event: {
      offset: ready.offset,
      namespace: 'default',
      key: 'model_ready',
      sender: 'trainer-7',
      createTime: ready.createTime,
    },
  });
  assert.deepEqual(statusCause(published, run.id, 'queued'), {
    actionId: action.id,
    action: 'start',
    kind: 'rule',
    rule: 1,
    eventOffset: ready.offset,
  } satisfies TaskActionCauseRef);
});

test('rule: a RESTART stops the old run and starts a new one, both naming the rule; startAfter reads as such', async (t) => {
  const wf = new Workflow('restarts');
  const prepare = wf.bash('prepare', 'true');
  wf.bash('serve', 'true').actionOnEventReceived(TaskAction.RESTART, 'model/updated');
  wf.bash('report', 'true').startAfter(prepare);
  const { engine, store, record, published } = await engineWith(t, wf);
  const id = await engine.request('start', (s) => s.startExecution(record, 'manual'));
  const updated = event('model/updated');
  await engine.events([updated]);
  const [first, second] = await actionsOf(store, id, 'serve');
  const rule = {
    kind: 'rule',
    rule: 0,
    text: 'actionOnEventReceived(RESTART, "model/updated")',
    condition: 'on event "model/updated"',
  };
  assert.deepEqual(
    first!.actions.map((a) => [a.action, a.cause.kind]),
    [
      ['start', 'request'],
      ['stop', 'rule'],
    ],
  );
  assert.deepEqual({ ...first!.actions[1]!.cause, event: undefined }, { ...rule, event: undefined });
  const restart = only(second!.actions);
  assert.equal(restart.action, 'restart');
  assert.equal(restart.cause.kind === 'rule' && restart.cause.event.offset, updated.offset);
  assert.equal(statusCause(published, first!.run.id, 'stopping')?.action, 'stop');
  assert.equal(statusCause(published, second!.run.id, 'queued')?.action, 'restart');

  // prepare succeeds: its status event meets report's startAfter rule.
  const [prep] = await actionsOf(store, id, 'prepare');
  await engine.taskFinished({
    taskExecutionId: runId(prep!.run.id, 1),
    status: 'success',
    reason: 'exit code 0',
  });
  const success = published.find((o) => o.key === '$task/restarts/prepare' && o.value === 'success')!;
  await engine.events([
    {
      ...event('$task/restarts/prepare', null, 'aiflow-scheduler'),
      value: 'success',
      context: success.context,
    },
  ]);
  const [report] = await actionsOf(store, id, 'report');
  const cause = only(report!.actions).cause;
  assert.equal(cause.kind === 'rule' && cause.text, 'startAfter(prepare)');
  assert.equal(cause.kind === 'rule' && cause.condition, 'when prepare is success');
});

test('request: tasks started with a manual execution, by taskExecution.start and stopped by taskExecution.stop name the request and requester', async (t) => {
  const wf = new Workflow('manual');
  wf.bash('a', 'true');
  wf.bash('b', 'true').actionOnEventReceived(TaskAction.START, 'never');
  const { engine, store, record, published } = await engineWith(t, wf);
  const by = (method: string) => ({ method, client: 'cli-1' });
  const id = await engine.request('start', (s) =>
    s.startExecution(record, 'manual', by('workflowExecution.start')),
  );
  await engine.request('start', (s) => s.startTask(id, 'b', by('taskExecution.start')));
  await engine.request('stop', (s) => s.stopTask(id, 'b', by('taskExecution.stop')));
  const [a] = await actionsOf(store, id, 'a');
  assert.deepEqual(only(a!.actions).cause, {
    kind: 'request',
    method: 'workflowExecution.start',
    client: 'cli-1',
  });
  const [b] = await actionsOf(store, id, 'b');
  assert.deepEqual(
    b!.actions.map((x) => [x.action, x.cause]),
    [
      ['start', { kind: 'request', method: 'taskExecution.start', client: 'cli-1' }],
      ['stop', { kind: 'request', method: 'taskExecution.stop', client: 'cli-1' }],
    ],
  );
  assert.equal(statusCause(published, b!.run.id, 'stopping')?.method, 'taskExecution.stop');
  // A STOP of a task that is not live is no action: nothing is recorded.
  await engine.request('stop', (s) => s.stopTask(id, 'b', by('taskExecution.stop')).catch(() => undefined));
  assert.equal((await store.listTaskActions(b!.run.id)).length, 2);
});

test('execution stop: its live tasks are stopped with it, naming the execution and the request', async (t) => {
  const wf = new Workflow('stopped');
  wf.bash('a', 'sleep 100');
  const { engine, store, record } = await engineWith(t, wf);
  const id = await engine.request('start', (s) => s.startExecution(record, 'manual'));
  await engine.request('stop', (s) =>
    s.stopExecution(id, { method: 'workflowExecution.stopAll', client: 'ops' }),
  );
  const [a] = await actionsOf(store, id, 'a');
  assert.deepEqual(a!.actions[1], {
    ...a!.actions[1]!,
    action: 'stop',
    cause: {
      kind: 'execution-stop',
      workflowExecutionId: id,
      method: 'workflowExecution.stopAll',
      client: 'ops',
    },
  });
});

test('schedule: a task started with a scheduled execution names the schedule and its expression', async (t) => {
  const clock = new ManualClock();
  const wf = new Workflow('nightly');
  wf.bash('a', 'true');
  const { engine, store, record, runner } = await engineWith(t, wf, undefined, clock);
  const schedule = await engine.request('add', (s) => s.catalog.addSchedule(record, 'interval@0 0 1 0'));
  const submitted = new Promise<void>((resolve) => (runner.onSubmit = resolve));
  clock.advance(60_000);
  await submitted;
  const [execution] = await store.listWorkflowExecutions(record.id);
  const [a] = await actionsOf(store, execution!.id, 'a');
  assert.deepEqual(only(a!.actions).cause, {
    kind: 'schedule',
    scheduleId: schedule.id,
    expression: 'interval@0 0 1 0',
  });
});

test('trigger: a task started with a triggered execution names the trigger and the event', async (t) => {
  const wf = new Workflow('triggered');
  wf.bash('a', 'true');
  const { engine, store, record, published } = await engineWith(t, wf);
  const trigger = await engine.request('add', (s) =>
    s.catalog.addTrigger(record, { type: 'event', key: 'go' }),
  );
  const go = event('go', null, 'upstream');
  await engine.events([go]);
  const [execution] = await store.listWorkflowExecutions(record.id);
  const [a] = await actionsOf(store, execution!.id, 'a');
  const action = only(a!.actions);
  assert.deepEqual(action.cause, {
    kind: 'trigger',
    triggerId: trigger.id,
    event: {
      offset: go.offset,
      namespace: 'default',
      key: 'go',
      sender: 'upstream',
      createTime: go.createTime,
    },
  });
  assert.deepEqual(statusCause(published, a!.run.id, 'queued'), {
    actionId: action.id,
    action: 'start',
    kind: 'trigger',
    triggerId: trigger.id,
    eventOffset: go.offset,
  });
});

test('retry: the next try after a failure is a start of attempt 2 caused by the retry', async (t) => {
  const clock = new ManualClock();
  const wf = new Workflow('flaky');
  wf.bash('a', 'false', { retry: { maxRetries: 2, backoffMs: 1000 } });
  const { engine, store, record, published, runner } = await engineWith(t, wf, undefined, clock);
  const id = await engine.request('start', (s) => s.startExecution(record, 'manual'));
  const run = (await actionsOf(store, id, 'a'))[0]!.run;
  await engine.taskFinished({ taskExecutionId: runId(run.id, 1), status: 'failed', reason: 'exit code 1' });
  assert.equal((await store.listTaskActions(run.id)).length, 1, 'a failure is no action');
  const retried = new Promise<void>((resolve) => (runner.onSubmit = resolve));
  clock.advance(1000);
  await retried;
  const retry = (await store.listTaskActions(run.id))[1]!;
  assert.equal(retry.action, 'start');
  assert.equal(retry.attempt, 2);
  assert.deepEqual(retry.cause, { kind: 'retry', attempt: 2, maxRetries: 2 });
  assert.equal(statusCause(published, run.id, 'queued')?.kind, 'request', 'the first queued: the request');
  const queuedAgain = published
    .map((o) => JSON.parse(o.context) as TaskStatusContext)
    .filter((c) => c.status === 'queued');
  assert.equal(queuedAgain[1]?.cause?.kind, 'retry');
});

test('timeout: a try the executor killed for its time-out is stopped by the time-out; an ordinary failure is no action', async (t) => {
  const wf = new Workflow('slow');
  wf.bash('a', 'sleep 100', { timeoutMs: 500 });
  wf.bash('b', 'false');
  const { engine, store, record, published } = await engineWith(t, wf);
  const id = await engine.request('start', (s) => s.startExecution(record, 'manual'));
  const [a] = await actionsOf(store, id, 'a');
  const [b] = await actionsOf(store, id, 'b');
  await engine.taskStarted(runId(a!.run.id, 1), 4242);
  await engine.taskFinished({
    taskExecutionId: runId(a!.run.id, 1),
    status: 'failed',
    reason: 'timeout after 500 ms',
  });
  await engine.taskFinished({
    taskExecutionId: runId(b!.run.id, 1),
    status: 'failed',
    reason: 'exit code 1',
  });
  const timeout = (await store.listTaskActions(a!.run.id))[1]!;
  assert.equal(timeout.action, 'stop');
  assert.deepEqual(timeout.cause, { kind: 'timeout', timeoutMs: 500 });
  assert.equal(statusCause(published, a!.run.id, 'failed')?.kind, 'timeout');
  assert.equal((await store.listTaskActions(b!.run.id)).length, 1);
  assert.equal(statusCause(published, b!.run.id, 'failed'), undefined);
});

test('periodic: each tick restarts the task, caused by its periodic expression', async (t) => {
  const clock = new ManualClock();
  const wf = new Workflow('ticking');
  wf.bash('a', 'true', { periodic: 'interval@0 0 1 0' });
  const { engine, store, record, runner } = await engineWith(t, wf, undefined, clock);
  const id = await engine.request('start', (s) => s.startExecution(record, 'manual'));
  const ticked = new Promise<void>((resolve) => (runner.onSubmit = resolve));
  clock.advance(60_000);
  await ticked;
  const [, second] = await actionsOf(store, id, 'a');
  const tick = only(second!.actions);
  assert.equal(tick.action, 'restart');
  assert.deepEqual(tick.cause, { kind: 'periodic', expression: 'interval@0 0 1 0' });
});

test('recovery: a try committed but never handed out before a restart is handed out again, recorded as such', async (t) => {
  const wf = new Workflow('recovered');
  wf.bash('a', 'true');
  const { engine, store, record } = await engineWith(t, wf);
  const id = await engine.request('start', (s) => s.startExecution(record, 'manual'));
  await engine.close();
  const again = await engineOn(t, store);
  assert.equal(again.runner.submits.length, 1, 'submitted again by the new engine');
  const [a] = await actionsOf(store, id, 'a');
  assert.deepEqual(
    a!.actions.map((x) => [x.action, x.cause.kind]),
    [
      ['start', 'request'],
      ['start', 'recovery'],
    ],
  );
});
