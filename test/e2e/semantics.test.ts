import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import type { MetadataStore } from '../../scheduler/store/metadata-store.ts';
import { ROOT, tempDir } from '../helpers.ts';
import { startTestServer, watchExecutions, watchTask, type TestServer } from '../server-harness.ts';

const RULES = join(ROOT, 'test', 'fixtures', 'scheduler', 'rules.ts');

interface TaskRow {
  id: number;
  task: string;
  sequence: number;
  attempt: number;
  status: string;
  pid: number | null;
  reason: string | null;
}

async function ready(t: import('node:test').TestContext, options: { parallelism?: number } = {}) {
  const server = await startTestServer(t, options);
  const upload = await server.cli('workflow', 'upload', RULES);
  assert.equal(upload.code, 0, upload.stderr);
  return server;
}

async function start(server: TestServer, workflow: string): Promise<number> {
  const started = await server.cli('workflow-execution', 'start', workflow, '-o', 'json');
  assert.equal(started.code, 0, started.stderr);
  return (JSON.parse(started.stdout) as { id: number }).id;
}

async function tasks(server: TestServer, executionId: number): Promise<TaskRow[]> {
  const listed = await server.cli('task-execution', 'list', String(executionId), '-o', 'json');
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as TaskRow[];
}

async function send(server: TestServer, key: string, context?: string) {
  const sent = await server.cli('event', 'send', key, 'v', ...(context ? ['--context', context] : []));
  assert.equal(sent.code, 0, sent.stderr);
}

test('§2.1 tasks without a START rule start at once; the others wait for their event', async (t) => {
  const server = await ready(t);
  const plain = await watchTask(t, server.url, 'auto_start', 'plain');
  const stoppable = await watchTask(t, server.url, 'auto_start', 'stoppable');
  const executions = await watchExecutions(t, server.url, 'auto_start');
  const id = await start(server, 'auto_start');
  await plain.reached('success');
  await stoppable.reached('success');
  assert.deepEqual(
    (await tasks(server, id)).map((r) => r.task).sort(),
    ['plain', 'stoppable'],
    '`waiting` has not started',
  );
  await send(server, 'go');
  assert.equal((await executions.finished(id)).value, 'success');
  assert.deepEqual((await tasks(server, id)).map((r) => r.task).sort(), ['plain', 'stoppable', 'waiting']);
});

test('§2.2 START on a live task does nothing, RESTART replaces it, STOP stops it (§3.4: STOP before any run is a no-op)', async (t) => {
  const server = await ready(t);
  const task = await watchTask(t, server.url, 'actions', 't');
  const executions = await watchExecutions(t, server.url, 'actions');
  const id = await start(server, 'actions');
  await send(server, 'stop'); // the task never ran: nothing happens, nothing breaks
  await send(server, 'start');
  await task.reached('running');
  await send(server, 'start');
  await send(server, 'restart');
  await task.reached('stopped');
  const afterRestart = await tasks(server, id);
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
  await send(server, 'stop');
  assert.equal((await executions.finished(id)).value, 'stopped');
  assert.deepEqual(
    (await tasks(server, id)).map((r) => r.status),
    ['stopped', 'stopped'],
  );
});

test('§2.3 one event is considered by every task; within a task the first matching rule wins', async (t) => {
  const server = await ready(t);
  const r = await watchTask(t, server.url, 'independent', 'r');
  const id = await start(server, 'independent');
  await send(server, 'e');
  await r.reached('running');
  const rows = await tasks(server, id);
  assert.deepEqual(rows.map((row) => row.task).sort(), ['p', 'q', 'r']);
  assert.notEqual(
    rows.find((row) => row.task === 'r')?.status,
    'stopped',
    'START came first, so STOP was not applied',
  );
});

test('§2.4 an event with an execution context reaches only that execution; one without reaches every running one', async (t) => {
  const server = await ready(t);
  const executions = await watchExecutions(t, server.url, 'scoped');
  const first = await start(server, 'scoped');
  const second = await start(server, 'scoped');
  await send(server, 'ping', JSON.stringify({ workflowExecutionId: first }));
  assert.equal((await executions.finished(first)).value, 'success', 'its listener ran');
  assert.equal((await tasks(server, second)).length, 0, 'the other execution did not react');
  await send(server, 'ping');
  assert.equal((await executions.finished(second)).value, 'success');
  assert.equal((await tasks(server, second)).length, 1);
  assert.equal((await tasks(server, first)).length, 1, 'a finished execution no longer reacts');
});

test('§2.5 task status changes are events, in order, with their execution in the context', async (t) => {
  const server = await ready(t);
  const executions = await watchExecutions(t, server.url, 'never_needed');
  const id = await start(server, 'never_needed');
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

test('§3.1 a failing task is retried with back-off through `retrying`, then fails', async (t) => {
  const server = await ready(t);
  const flaky = await watchTask(t, server.url, 'retries', 'flaky');
  const executions = await watchExecutions(t, server.url, 'retries');
  const id = await start(server, 'retries');
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
  const [row] = await tasks(server, id);
  assert.equal(row?.attempt, 3);
  assert.equal(row?.reason, 'exit code 1');
});

test('§3.2 workflow execution status changes are events', async (t) => {
  const server = await ready(t);
  const executions = await watchExecutions(t, server.url, 'never_needed');
  const id = await start(server, 'never_needed');
  await executions.finished(id);
  const listed = await server.cli('event', 'list', '-k', '$workflow/never_needed', '-o', 'json');
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { value: string }[]).map((e) => e.value),
    ['running', 'success'],
  );
});

test('§3.3 an execution whose conditional task can never run ends, and the outcome does not depend on task order', async (t) => {
  const server = await ready(t);
  const neverNeeded = await watchExecutions(t, server.url, 'never_needed');
  const a = await start(server, 'never_needed');
  assert.equal(
    (await neverNeeded.finished(a)).value,
    'success',
    'cleanup (on ok failing) never ran: still ends',
  );

  const settles = await watchExecutions(t, server.url, 'settles');
  const slow = await watchTask(t, server.url, 'settles', 'slow');
  const b = await start(server, 'settles');
  const final = await settles.finished(b);
  assert.equal(final.value, 'failed');
  const slowDone = await slow.reached('success');
  assert.ok(final.offset > slowDone.offset, 'not failed while `slow` still ran');
});

test('§3.5 a timed-out task is killed and reported failed with its status event', async (t) => {
  const server = await ready(t);
  const slow = await watchTask(t, server.url, 'timeout', 'slow');
  const id = await start(server, 'timeout');
  const failed = await slow.reached('failed');
  assert.equal(JSON.parse(failed.context ?? '{}').reason, 'timeout after 500 ms');
  const [row] = await tasks(server, id);
  assert.ok(row?.pid);
  assert.throws(() => process.kill(row.pid!, 0), 'the task process is gone');
});

test('§3.6 a stopped queued task never runs; START while stopping does not start a second execution', async (t) => {
  const server = await ready(t, { parallelism: 1 });
  const t1 = await watchTask(t, server.url, 'stubborn', 't');
  const id = await start(server, 'stubborn');
  await send(server, 'start');
  await t1.reached('running');
  await send(server, 'stop');
  await t1.reached('stopping');
  await send(server, 'start'); // while stopping: ignored
  await t1.reached('stopped');
  assert.equal((await tasks(server, id)).length, 1);

  // With parallelism 1, a second execution's task waits in the queue behind a running one; stop it there.
  const blocker = await start(server, 'stubborn');
  await send(server, 'start', JSON.stringify({ workflowExecutionId: blocker }));
  const queued = await start(server, 'stubborn');
  await send(server, 'start', JSON.stringify({ workflowExecutionId: queued }));
  const stopped = await server.cli('task-execution', 'stop', String(queued), 't');
  assert.equal(stopped.code, 0, stopped.stderr);
  for (;;) {
    const [row] = await tasks(server, queued);
    if (row?.status === 'stopped') {
      assert.equal(row.pid, null, 'it never started');
      break;
    }
    await t1.reached('stopped');
  }
  await server.cli('workflow-execution', 'stop', String(blocker));
});

test('§3.7 a disabled workflow cannot be started', async (t) => {
  const server = await ready(t);
  assert.equal((await server.cli('workflow', 'disable', 'never_needed')).code, 0);
  const refused = await server.cli('workflow-execution', 'start', 'never_needed');
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'aiflow: CONFLICT: workflow never_needed is disabled\n');
  assert.equal((await server.cli('workflow', 'enable', 'never_needed')).code, 0);
  assert.equal((await server.cli('workflow-execution', 'start', 'never_needed')).code, 0);
});

test('user conditions that throw or loop count as not met and do not stall the scheduler', async (t) => {
  const server = await ready(t);
  const c = await watchTask(t, server.url, 'bad_conditions', 'c');
  const id = await start(server, 'bad_conditions');
  await send(server, 'x');
  await send(server, 'x'); // the stateful condition of `c` is met at its second event
  await c.reached('success');
  assert.deepEqual(
    (await tasks(server, id)).map((r) => r.task),
    ['c'],
  );
  const reasons = server.records.filter((r) => r.message === 'condition failed, counted as not met');
  assert.ok(reasons.some((r) => String(r.fields.reason).includes('condition bug')));
  assert.ok(reasons.some((r) => String(r.fields.reason).includes('longer than')));
  await server.cli('workflow-execution', 'stop', String(id));
});

test('§3.8 a running execution keeps the snapshot it started with when the workflow is re-uploaded', async (t) => {
  const server = await startTestServer(t);
  const dir = tempDir(t);
  const version = (v: string) => {
    const file = join(dir, 'pinned.ts');
    writeFileSync(
      file,
      `import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';\n` +
        `const w = new Workflow('pinned');\n` +
        `w.bash('t', 'echo running ${v}').actionOnEventReceived(TaskAction.START, 'go');\n` +
        `export default w;\n`,
    );
    return file;
  };
  assert.equal((await server.cli('workflow', 'upload', version('v1'))).code, 0);
  const executions = await watchExecutions(t, server.url, 'pinned');
  const old = await start(server, 'pinned');
  assert.equal((await server.cli('workflow', 'upload', version('v2'))).code, 0);
  const fresh = await start(server, 'pinned');
  await send(server, 'go'); // reaches both executions
  await executions.finished(old);
  await executions.finished(fresh);
  const log = async (execution: number) => {
    const [row] = await tasks(server, execution);
    return (await server.cli('task-execution', 'logs', String(row!.id))).stdout;
  };
  assert.match(await log(old), /running v1/);
  assert.match(await log(fresh), /running v2/);
});

test('startAfter with instant tasks: every task runs exactly once, and the execution ends only after the last', async (t) => {
  const server = await startTestServer(t);
  assert.equal(
    (await server.cli('workflow', 'upload', join(ROOT, 'test/fixtures/scheduler/fast-chain.ts'))).code,
    0,
  );
  const executions = await watchExecutions(t, server.url, 'fast_chain');
  const id = await start(server, 'fast_chain');
  assert.equal((await executions.finished(id)).value, 'success');
  const rows = await tasks(server, id);
  assert.deepEqual(
    rows.map((r) => [r.task, r.sequence, r.status]),
    Array.from({ length: 10 }, (_, i) => [`t${i + 1}`, 1, 'success']),
  );
});

test('§3.9 an event whose effects cannot be committed is recorded, and none of its effects remain', async (t) => {
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  // Fault injection on the real store: the first commit that creates a task execution fails, as a full disk would.
  let failNext = true;
  const commit: MetadataStore['commit'] = async (work) => {
    if (failNext && work.taskExecutions.length > 0) {
      failNext = false;
      throw new Error('disk full');
    }
    return store.commit(work);
  };
  const faulty = new Proxy(store, {
    get: (target, name) => {
      if (name === 'commit') return commit;
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as MetadataStore;
  const server = await startTestServer(t, { store: faulty });
  assert.equal((await server.cli('workflow', 'upload', RULES)).code, 0);
  const task = await watchTask(t, server.url, 'actions', 't');
  const id = await start(server, 'actions');
  await send(server, 'start'); // its commit fails: nothing of it may survive, in the store or in memory
  await send(server, 'start');
  await task.reached('running');
  const rows = await tasks(server, id);
  assert.deepEqual(
    rows.map((r) => [r.sequence, r.status]),
    [[1, 'running']],
    'one task execution, sequence 1: the failed attempt left nothing behind',
  );
  const failed = await store.listFailedEvents();
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.key, 'start');
  assert.equal(failed[0]?.reason, 'disk full');
  await server.cli('workflow-execution', 'stop', String(id));
});
