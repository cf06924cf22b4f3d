import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { ROOT } from '../helpers.ts';
import { ManualClock } from '../manual-clock.ts';
import { example, startTestServer, watchExecutions, watchTask, type TestServer } from '../server-harness.ts';

// The manual clock behaves like Node's setTimeout: a delay over 2^31-1 ms (24.8 days) fires after 1 ms unless
// the scheduler arms it in steps.

const DAY = 86_400_000;
/** "Must not happen" window: a timer fired by mistake starts an execution well within it. */
const QUIET_MS = 300;

async function json<T>(server: TestServer, ...argv: string[]): Promise<T> {
  const result = await server.cli(...argv, '-o', 'json');
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

async function executionCount(server: TestServer): Promise<number> {
  await sleep(QUIET_MS);
  return (await json<unknown[]>(server, 'workflow-execution', 'list', 'heartbeat')).length;
}

test('workflow schedules of 30 days, one year and 29 February fire when due and not before', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const server = await startTestServer(t, { clock });
  assert.equal((await server.cli('workflow', 'upload', example('heartbeat.ts'))).code, 0);
  const runs = await watchExecutions(t, server.url, 'heartbeat');
  const cases = [
    { expression: 'interval@30 0 0 0', due: Date.UTC(2026, 0, 31, 12, 0, 0) },
    { expression: 'cron@0 0 1 1 *', due: Date.UTC(2027, 0, 1, 0, 0, 0) },
    { expression: 'cron@0 12 29 2 *', due: Date.UTC(2028, 1, 29, 12, 0, 0) },
  ];
  for (const [index, { expression, due }] of cases.entries()) {
    const schedule = await json<{ id: number; nextRunTime: number }>(
      server,
      'workflow-schedule',
      'add',
      'heartbeat',
      expression,
    );
    assert.equal(schedule.nextRunTime, due, expression);
    clock.advance(due - 1 - clock.now());
    assert.equal(await executionCount(server), index, `${expression}: nothing before it is due`);
    clock.advance(1);
    await runs.finished(index + 1);
    assert.equal(await executionCount(server), index + 1, `${expression}: one run when due`);
    assert.equal((await server.cli('workflow-schedule', 'delete', String(schedule.id))).code, 0);
  }
});

test('a periodic task every 30 days restarts when due and not before', async (t) => {
  const clock = new ManualClock();
  const server = await startTestServer(t, { clock });
  const module = join(ROOT, 'test', 'fixtures', 'workflows', 'monthly-periodic.ts');
  assert.equal((await server.cli('workflow', 'upload', module)).code, 0);
  const tick = await watchTask(t, server.url, 'monthly', 'tick');
  assert.equal((await server.cli('workflow-execution', 'start', 'monthly')).code, 0);
  await tick.reachedTimes('success', 1);
  clock.advance(30 * DAY - 1);
  await sleep(QUIET_MS);
  assert.equal(tick.statuses().filter((s) => s === 'running').length, 1, 'no restart before 30 days');
  clock.advance(1);
  await tick.reachedTimes('success', 2);
});
