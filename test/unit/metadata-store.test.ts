import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { emptyUnitOfWork } from '../../scheduler/store/records.ts';
import type { WorkflowSpec } from '../../workflow/spec.ts';
import { tempDir } from '../helpers.ts';

const SPEC: WorkflowSpec = {
  name: 'wf',
  namespace: 'default',
  tasks: [
    {
      name: 't',
      operator: { type: 'bash', command: 'true' },
      rules: [],
      retry: { maxRetries: 0, backoffMs: 1000 },
      timeoutMs: null,
      periodic: null,
    },
  ],
};

function open(t: TestContext, file = join(tempDir(t), 'metadata.db')) {
  const store = SqliteMetadataStore.open(file);
  t.after(() => store.close());
  return { store, file };
}

test('a unit of work is written at once and read back by recovery', async (t) => {
  const { store, file } = open(t);
  const { workflow, snapshot } = await store.saveUpload({ fileName: 'wf.ts', source: 'src', spec: SPEC });
  const work = emptyUnitOfWork();
  work.workflowExecutions.push({
    id: 1,
    workflowId: workflow.id,
    snapshotId: snapshot.id,
    namespace: 'default',
    workflow: 'wf',
    status: 'running',
    runType: 'manual',
    beginTime: 1,
    endTime: null,
  });
  work.taskExecutions.push({
    id: 1,
    workflowExecutionId: 1,
    task: 't',
    sequence: 1,
    attempt: 1,
    status: 'running',
    pid: 42,
    beginTime: 1,
    endTime: null,
    reason: null,
  });
  work.states.push({ scope: 'execution:1', name: 'sum', value: { n: 3 } });
  const action = {
    id: 1,
    taskExecutionId: 1,
    action: 'start',
    attempt: 1,
    cause: { kind: 'request', method: 'workflowExecution.start', client: 'c-1' },
    time: 1,
  } as const;
  work.taskActions.push(action);
  work.timers.push({ id: 1, dueTime: 99, kind: 'periodic', workflowExecutionId: 1, task: 't' });
  work.outbox.push({
    id: 1,
    eventId: 'e-1',
    namespace: 'default',
    key: '$task/wf/t',
    value: 'running',
    context: '{}',
  });
  work.checkpoint = 7;
  await store.commit(work);
  await store.close();

  const reopened = open(t, file).store;
  const recovery = await reopened.loadRecovery();
  assert.deepEqual(
    recovery.runningExecutions.map((e) => e.id),
    [1],
  );
  assert.equal(recovery.taskExecutions[0]?.pid, 42);
  assert.deepEqual(recovery.states, [{ scope: 'execution:1', name: 'sum', value: { n: 3 } }]);
  assert.deepEqual(recovery.timers, [
    { id: 1, dueTime: 99, kind: 'periodic', workflowExecutionId: 1, task: 't' },
  ]);
  assert.equal(recovery.outbox[0]?.eventId, 'e-1');
  assert.equal(recovery.checkpoint, 7);
  assert.deepEqual(recovery.nextIds, {
    workflowExecution: 2,
    taskExecution: 2,
    timer: 2,
    outbox: 2,
    taskAction: 2,
  });
  assert.equal(recovery.snapshots[0]?.spec.tasks[0]?.name, 't');
  assert.deepEqual(await reopened.listTaskActions(1), [action], 'the action and its cause, as committed');
  await reopened.deleteWorkflowExecution(1);
  assert.deepEqual(await reopened.listTaskActions(1), [], 'deleted with its execution');
});

test('the checkpoint never moves back; failed events are kept with their reason', async (t) => {
  const { store } = open(t);
  await store.commit({ ...emptyUnitOfWork(), checkpoint: 10 });
  await store.commit({
    ...emptyUnitOfWork(),
    checkpoint: 4,
    failedEvent: { offset: 4, key: 'k', reason: 'boom' },
  });
  assert.equal((await store.loadRecovery()).checkpoint, 10);
  assert.deepEqual(
    (await store.listFailedEvents()).map((e) => [e.offset, e.key, e.reason]),
    [[4, 'k', 'boom']],
  );
});

test('namespaces, uploads, schedules and triggers', async (t) => {
  const { store } = open(t);
  await store.addNamespace('ops');
  await assert.rejects(store.addNamespace('ops'), { code: 'ALREADY_EXISTS' });
  const first = await store.saveUpload({ fileName: 'wf.ts', source: 'v1', spec: SPEC });
  const second = await store.saveUpload({ fileName: 'wf.ts', source: 'v2', spec: SPEC });
  assert.equal(second.workflow.id, first.workflow.id, 'a re-upload is a new snapshot of the same workflow');
  assert.equal(second.workflow.snapshotId, second.snapshot.id);
  const schedule = await store.addSchedule(first.workflow.id, 'interval@0 0 1 0', 123);
  await store.updateSchedule(schedule.id, { paused: true, nextRunTime: null });
  assert.deepEqual(await store.getSchedule(schedule.id), { ...schedule, paused: true, nextRunTime: null });
  const trigger = await store.addTrigger(first.workflow.id, { type: 'event', key: 'k' }, 'cli');
  await store.setTriggerPaused(trigger.id, true);
  assert.equal((await store.getTrigger(trigger.id))?.paused, true);
  await store.deleteWorkflow(first.workflow.id);
  assert.deepEqual(await store.listSchedules(), []);
  assert.deepEqual(await store.listTriggers(), []);
  assert.deepEqual(await store.listWorkflows('default'), []);
});
