// The scheduler's engine driven without MQTT or processes: a real SQLite store, a fake executor, a manual clock.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SchedulerEngine } from '../../scheduler/engine/engine.ts';
import type { WorkflowRecord } from '../../scheduler/store/records.ts';
import { runId } from '../../scheduler/task-request.ts';
import { MeetAllCondition, SingleEventCondition, TaskAction, Workflow } from '../../workflow/index.ts';
import { ManualClock } from '../manual-clock.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { toSpec } from '../../workflow/index.ts';
import { tempDir } from '../helpers.ts';
import { engineOn, engineWith, event, failingCommits, lastOffset } from './engine-fixture.ts';

async function startExecutions(
  engine: SchedulerEngine,
  workflow: WorkflowRecord,
  n: number,
): Promise<number[]> {
  const ids = [];
  for (let i = 0; i < n; i++)
    ids.push(await engine.request('start', (s) => s.startExecution(workflow, 'manual')));
  return ids;
}

test('a burst of 1,000 events no rule expects writes nothing of its own; the checkpoint moves with a later commit', async (t) => {
  const wf = new Workflow('waits');
  wf.bash('t', 'true').actionOnEventReceived(TaskAction.START, 'go');
  const { engine, store, record } = await engineWith(t, wf);
  await startExecutions(engine, record, 1);
  const before = store.commits;
  for (let i = 0; i < 10; i++) await engine.events(Array.from({ length: 100 }, () => event('unrelated')));
  assert.ok(store.commits - before <= 2, `${store.commits - before} commits for 1,000 unexpected events`);
  assert.equal(
    (await store.loadRecovery()).checkpoint,
    lastOffset(),
    'the checkpoint was written once the lag reached its bound',
  );
  const quiet = store.commits;
  await engine.events([event('unrelated'), event('unrelated')]);
  assert.equal(store.commits, quiet, 'two more unexpected events: no commit');
  await engine.close();
  assert.equal(store.commits, quiet + 1, 'closing stores the checkpoint that moved without a write');
  assert.equal((await store.loadRecovery()).checkpoint, lastOffset());
});

test('an execution a trigger starts reacts to the next event of the same page, not to earlier ones', async (t) => {
  // One page: `door/open` starts an execution by trigger, and that execution waits for `go`, the next event.
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  t.after(() => store.close());
  const wf = new Workflow('door');
  wf.bash('t', 'true').actionOnEventReceived(TaskAction.START, 'go');
  const { workflow } = await store.saveUpload({ fileName: 'w.ts', source: '', spec: toSpec(wf) });
  await store.addTrigger(workflow.id, { type: 'event', key: 'door/open' }, 'cli');
  const { engine, runner } = await engineOn(t, store);
  await engine.events([event('go'), event('door/open'), event('go'), event('unrelated')]);
  assert.equal(runner.submits.length, 1, 'the first go reached nothing; the second one started t');
  const [execution] = await store.listWorkflowExecutions(workflow.id);
  assert.equal(execution?.runType, 'trigger');
  assert.equal((await store.listTaskExecutions(execution.id))[0]?.status, 'queued');
  await engine.close();
  assert.equal(
    (await store.loadRecovery()).checkpoint,
    lastOffset(),
    'the checkpoint moved past the whole page',
  );
});

test('one event reaching 200 waiting executions is one commit, and the task starts follow it', async (t) => {
  const wf = new Workflow('many');
  wf.bash('t', 'true').actionOnEventReceived(TaskAction.START, 'go');
  const { engine, store, runner, record } = await engineWith(t, wf);
  const ids = await startExecutions(engine, record, 200);
  const before = store.commits;
  await engine.events([event('go')]);
  assert.equal(store.commits, before + 1, 'one transaction for 200 task starts');
  assert.equal(runner.submits.length, 200);
  assert.ok(
    runner.submits.every((s) => s.commitsBefore === before + 1),
    'every submit ran after the commit',
  );
  const rows = await Promise.all(ids.map((id) => store.listTaskExecutions(id)));
  assert.ok(rows.every((r) => r.length === 1 && r[0]!.status === 'queued'));
});

test('one event updating the state of 200 executions is one commit', async (t) => {
  const wf = new Workflow('stateful');
  wf.bash('t', 'true').actionOnCondition(
    TaskAction.START,
    new MeetAllCondition('both', [new SingleEventCondition('a'), new SingleEventCondition('b')]),
  );
  const { engine, store, runner, record } = await engineWith(t, wf);
  const ids = await startExecutions(engine, record, 200);
  const before = store.commits;
  await engine.events([event('a')]);
  assert.equal(store.commits, before + 1);
  assert.equal(runner.submits.length, 0, 'half met: nothing starts');
  const states = (await store.loadRecovery()).states.filter((s) => s.name === 'both');
  assert.equal(states.length, ids.length);
});

test('a failed input inside a batch is undone alone and recorded; the others of the batch commit together', async (t) => {
  const wf = new Workflow('partial');
  wf.bash('t', 'true').actionOnEventReceived(TaskAction.START, 'go');
  let uowCommits = 0;
  const { engine, store, runner, record } = await engineWith(
    t,
    wf,
    // The second task-creating unit of work fails, as a full disk would.
    failingCommits((work) => work.taskExecutions.length > 0 && ++uowCommits === 2),
  );
  const [a, b, c] = await startExecutions(engine, record, 3);
  const before = store.commits;
  const events = [a, b, c].map((id) => event('go', { workflowExecutionId: id }));
  await engine.events(events);
  assert.equal(store.commits, before + 1, 'one transaction for the batch, failure record included');
  assert.deepEqual(
    await Promise.all([a, b, c].map(async (id) => (await store.listTaskExecutions(id!)).length)),
    [1, 0, 1],
  );
  assert.deepEqual(
    (await store.listFailedEvents()).map((f) => [f.offset, f.key, f.reason]),
    [[events[1]!.offset, 'go', 'disk full']],
  );
  // The reload submits A's queued try again: a repeated submit is a no-op for the executor.
  const submitted = new Set(runner.submits.map((s) => s.request.taskExecutionId));
  assert.equal(submitted.size, 2, 'no effect of the failed input ran');
  assert.equal((await store.loadRecovery()).checkpoint, events[2]!.offset);
  // Memory was rebuilt without the failed input: the same event now starts the task.
  await engine.events([event('go', { workflowExecutionId: b })]);
  assert.equal((await store.listTaskExecutions(b!)).length, 1);
});

test('a STOP takes back a try still waiting for a process slot: stopped at once, with no process to wait for', async (t) => {
  const wf = new Workflow('waits');
  wf.bash('s', 'sleep 600').actionOnEventReceived(TaskAction.STOP, 'wake');
  const { engine, store, runner, record, published } = await engineWith(t, wf);
  const [running, waiting] = await startExecutions(engine, record, 2);
  const [runningTry, waitingTry] = runner.submits.map((s) => s.request.taskExecutionId);
  runner.waiting.add(waitingTry!); // the executor has a slot for the first one only
  const before = store.commits;
  await engine.events([event('wake')]);
  assert.equal(store.commits, before + 1, 'one commit for both stops');
  assert.deepEqual(runner.stops, [runningTry], 'only the started try is asked to stop');
  const [stillRunning] = await store.listTaskExecutions(running!);
  assert.equal(stillRunning?.status, 'stopping', 'a started try is stopping until its process exits');
  const [taken] = await store.listTaskExecutions(waiting!);
  assert.deepEqual([taken?.status, taken?.reason, taken?.pid], ['stopped', 'stopped before start', null]);
  const statuses = published
    .filter((r) => r.key === '$task/waits/s' && JSON.parse(r.context!).workflowExecutionId === waiting)
    .map((r) => r.value);
  assert.deepEqual(statuses, ['queued', 'stopped'], 'no stopping: nothing was running');
  assert.ok(
    (await store.listTaskActions(taken!.id)).some((a) => a.action === 'stop' && a.cause.kind === 'rule'),
    'the stop is recorded with its rule',
  );
});

test('a STOP undone after its try was taken back hands the try to the executor again', async (t) => {
  const wf = new Workflow('waits');
  wf.bash('s', 'sleep 600').actionOnEventReceived(TaskAction.STOP, 'wake');
  let failed = false;
  const { engine, store, runner, record } = await engineWith(
    t,
    wf,
    // The stop's unit of work fails once, as a full disk would.
    failingCommits((work) => !failed && (failed = work.taskExecutions.some((te) => te.status === 'stopped'))),
  );
  const [id] = await startExecutions(engine, record, 1);
  const taskTry = runner.submits[0]!.request.taskExecutionId;
  runner.waiting.add(taskTry);
  const wake = event('wake');
  await engine.events([wake]);
  assert.ok(failed, 'the stop was undone');
  assert.equal((await store.listTaskExecutions(id!))[0]?.status, 'queued', 'the store still has it queued');
  assert.deepEqual(
    runner.submits.map((s) => s.request.taskExecutionId),
    [taskTry, taskTry],
    'the reload handed the try back to the executor',
  );
  assert.deepEqual(
    (await store.listFailedEvents()).map((f) => [f.offset, f.reason]),
    [[wake.offset, 'disk full']],
  );
});

/** Node's `setTimeout`: a delay over 2^31-1 ms fires after 1 ms. */
class NodeLikeClock extends ManualClock {
  override setTimeout(callback: () => void, ms: number): number {
    return super.setTimeout(callback, ms > 2 ** 31 - 1 ? 1 : ms);
  }
}

test('a retry 30 days away waits 30 days (longer than one setTimeout can)', async (t) => {
  const day = 24 * 3600 * 1000;
  const wf = new Workflow('patient');
  wf.bash('t', 'false', { retry: { maxRetries: 1, backoffMs: 30 * day } });
  const clock = new NodeLikeClock();
  const { engine, store, runner, record } = await engineWith(t, wf, undefined, clock);
  const [id] = await startExecutions(engine, record, 1);
  const [row] = await store.listTaskExecutions(id!);
  await engine.taskFinished({ taskExecutionId: runId(row!.id, 1), status: 'failed', reason: 'exit 1' });
  assert.equal((await store.listTaskExecutions(id!))[0]!.status, 'retrying');
  clock.advance(29 * day);
  await engine.request('barrier', async () => undefined); // handled after any input the clock caused
  assert.equal(runner.submits.length, 1, 'not retried after 29 days');
  const retried = new Promise<void>((resolve) => (runner.onSubmit = resolve));
  clock.advance(day);
  await retried;
  assert.equal(runner.submits.length, 2);
  assert.equal(runner.submits[1]!.request.taskExecutionId, runId(row!.id, 2));
});
