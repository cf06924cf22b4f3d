import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createExecutor, isAlive, taskProbe } from '../fixtures/executor/recorder.ts';
import { ROOT, run } from '../helpers.ts';

const bash = (command: string) => ({ type: 'bash', command }) as const;

test('after a restart, the next executor adopts a running task and reports its success', async (t) => {
  const a = createExecutor(t);
  await a.executor.submit({ taskExecutionId: 1, operator: bash('sleep 1; true'), env: {}, timeoutMs: null });
  const { pid } = await a.events.waitStarted(1);
  const [record] = a.executor.running();
  assert.deepEqual(record && { id: record.taskExecutionId, pid: record.pid }, { id: 1, pid });
  await a.executor.close(); // graceful: the detached runner keeps going

  const b = createExecutor(t, { dataDir: a.dataDir });
  await b.executor.adopt([{ taskExecutionId: 1, pid, startTime: record?.startTime ?? 0 }]);
  assert.deepEqual(
    b.executor.running().map((r) => r.taskExecutionId),
    [1],
  );
  const finished = await b.events.waitFinished(1);
  assert.equal(finished.status, 'success');
  assert.equal(finished.exitCode, 0);
  assert.deepEqual(a.events.order, ['start:1'], 'the closed executor reports nothing more');
});

test('an adopted runner that died without a status fails with "task process disappeared"', async (t) => {
  const a = createExecutor(t);
  await a.executor.submit({ taskExecutionId: 2, operator: bash('sleep 30'), env: {}, timeoutMs: null });
  const { pid } = await a.events.waitStarted(2);
  await a.executor.close();
  process.kill(-pid, 'SIGKILL'); // the runner and its sleep, as a crash or an OOM kill would

  const b = createExecutor(t, { dataDir: a.dataDir });
  await b.executor.adopt([{ taskExecutionId: 2, pid, startTime: Date.now() }]);
  assert.deepEqual(await b.events.waitFinished(2), {
    taskExecutionId: 2,
    status: 'failed',
    exitCode: null,
    signal: null,
    reason: 'task process disappeared',
  });
});

test('an adopted task can be stopped and counts against parallelism', async (t) => {
  const a = createExecutor(t);
  await a.executor.submit({ taskExecutionId: 3, operator: bash('sleep 30'), env: {}, timeoutMs: null });
  const { pid } = await a.events.waitStarted(3);
  await a.executor.close();

  const b = createExecutor(t, { dataDir: a.dataDir, parallelism: 1 });
  await b.executor.adopt([{ taskExecutionId: 3, pid, startTime: Date.now() }]);
  await b.executor.submit({ taskExecutionId: 4, operator: bash('true'), env: {}, timeoutMs: null });
  assert.deepEqual(b.events.order, [], 'task 4 waits for the adopted task');
  await b.executor.stop(3);
  await b.events.waitFinished(4);
  assert.deepEqual(b.events.order, ['finish:3', 'start:4', 'finish:4']);
  assert.equal(b.events.finished.get(3)?.status, 'stopped');
  assert.equal(isAlive(pid), false);
});

test('an adopted task past its timeout is killed and fails', async (t) => {
  const a = createExecutor(t);
  await a.executor.submit({ taskExecutionId: 5, operator: bash('sleep 30'), env: {}, timeoutMs: null });
  const { pid } = await a.events.waitStarted(5);
  await a.executor.close();

  const b = createExecutor(t, { dataDir: a.dataDir });
  await b.executor.adopt([{ taskExecutionId: 5, pid, startTime: Date.now() - 60_000, timeoutMs: 1000 }]);
  const finished = await b.events.waitFinished(5);
  assert.equal(finished.status, 'failed');
  assert.equal(finished.reason, 'timeout after 1000 ms');
});

test('a stop in progress when the executor closed is finished by the next one', async (t) => {
  const a = createExecutor(t, { stopGraceMs: 60_000 });
  const probe = await taskProbe(t);
  const command = `trap '' TERM; ${probe.open}; echo $$ >&3; sleep 30`;
  await a.executor.submit({ taskExecutionId: 6, operator: bash(command), env: {}, timeoutMs: null });
  const { pid } = await a.events.waitStarted(6);
  const stubborn = Number(await probe.firstLine());
  void a.executor.stop(6); // SIGTERM is ignored; the SIGKILL would come after 60 s…
  await a.executor.close(); // …but the executor closes first, clearing that timer

  const b = createExecutor(t, { dataDir: a.dataDir, stopGraceMs: 200 });
  await b.executor.adopt([{ taskExecutionId: 6, pid, startTime: Date.now() }]);
  const finished = await b.events.waitFinished(6);
  assert.equal(finished.status, 'stopped');
  assert.equal(finished.reason, 'stopped on request');
  await probe.closed();
  assert.equal(isAlive(stubborn), false);
});

test('a start replayed after a crash follows the running task instead of starting it again', async (t) => {
  const a = createExecutor(t);
  const counter = join(a.dataDir, 'runs');
  const request = {
    taskExecutionId: 7,
    operator: bash(`echo run >> ${counter}; sleep 1`),
    env: {},
    timeoutMs: null,
  };
  await a.executor.submit(request);
  const { pid } = await a.events.waitStarted(7);
  await a.executor.close(); // as if the scheduler died before recording the pid

  const b = createExecutor(t, { dataDir: a.dataDir });
  await b.executor.submit(request);
  assert.deepEqual(b.events.started.get(7), { taskExecutionId: 7, pid });
  assert.equal((await b.events.waitFinished(7)).status, 'success');
  assert.equal(readFileSync(counter, 'utf8'), 'run\n');
});

test('adopting a record twice, or one already finished here, is a no-op', async (t) => {
  const { executor, events } = createExecutor(t);
  await executor.submit({ taskExecutionId: 8, operator: bash('true'), env: {}, timeoutMs: null });
  const { pid } = await events.waitStarted(8);
  await events.waitFinished(8);
  await executor.adopt([{ taskExecutionId: 8, pid, startTime: Date.now() }]);
  assert.deepEqual(executor.running(), []);
  assert.deepEqual(events.order, ['start:8', 'finish:8']);
});

test('a runner outlives the process of the executor that started it and is adopted by the next one', async (t) => {
  const { executor, events, dataDir } = createExecutor(t);
  const script = join(ROOT, 'test/fixtures/executor/submit-and-exit.ts');
  const result = await run(process.execPath, ['--import', 'tsx', script, dataDir, '9', 'sleep 1; exit 4']);
  assert.equal(result.code, 0, result.stderr);
  const { pid, startTime } = JSON.parse(result.stdout) as { pid: number; startTime: number };
  assert.ok(isAlive(pid), 'the runner survived its executor');

  await executor.adopt([{ taskExecutionId: 9, pid, startTime }]);
  const finished = await events.waitFinished(9);
  assert.equal(finished.status, 'failed');
  assert.equal(finished.exitCode, 4);
});
