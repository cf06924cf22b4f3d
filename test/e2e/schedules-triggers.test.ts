import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerClient } from '../../client/index.ts';
import { freePort, requireProgram, run, tempDir } from '../helpers.ts';
import { ManualClock } from '../manual-clock.ts';
import { example, startTestServer, watchExecutions, watchTask, type TestServer } from '../server-harness.ts';

const MINUTE = 60_000;

async function executions(server: TestServer, workflow: string) {
  const listed = await server.cli('workflow-execution', 'list', workflow, '-o', 'json');
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as { id: number; runType: string; status: string }[];
}

async function json<T>(server: TestServer, ...argv: string[]): Promise<T> {
  const result = await server.cli(...argv, '-o', 'json');
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as T;
}

test('a schedule fires at its times on a simulated clock; pause, resume, delete and a disabled workflow', async (t) => {
  const clock = new ManualClock();
  const server = await startTestServer(t, { clock });
  assert.equal((await server.cli('workflow', 'upload', example('heartbeat.ts'))).code, 0);
  const runs = await watchExecutions(t, server.url, 'heartbeat');
  const schedule = await json<{ id: number; nextRunTime: number; description: string }>(
    server,
    'workflow-schedule',
    'add',
    'heartbeat',
    'interval@0 0 1 0',
  );
  assert.equal(schedule.nextRunTime, clock.now() + MINUTE);
  assert.equal(schedule.description, 'every minute');

  clock.advance(MINUTE - 1);
  clock.advance(1);
  await runs.finished(1);
  clock.advance(MINUTE);
  await runs.finished(2);
  assert.deepEqual(
    (await executions(server, 'heartbeat')).map((e) => e.runType),
    ['schedule', 'schedule'],
  );

  assert.equal((await server.cli('workflow-schedule', 'pause', String(schedule.id))).code, 0);
  clock.advance(10 * MINUTE);
  assert.equal((await server.cli('workflow-schedule', 'resume', String(schedule.id))).code, 0);
  clock.advance(MINUTE);
  await runs.finished(3);
  assert.equal((await executions(server, 'heartbeat')).length, 3, 'nothing ran while paused');

  assert.equal((await server.cli('workflow', 'disable', 'heartbeat')).code, 0);
  clock.advance(MINUTE);
  assert.equal((await server.cli('workflow', 'enable', 'heartbeat')).code, 0);
  clock.advance(MINUTE);
  await runs.finished(4);
  assert.equal((await executions(server, 'heartbeat')).length, 4, 'the run while disabled was skipped');

  assert.equal((await server.cli('workflow-schedule', 'delete', String(schedule.id))).code, 0);
  clock.advance(10 * MINUTE);
  const shown = await server.cli('workflow-schedule', 'show', String(schedule.id));
  assert.match(shown.stderr, /^aiflow: NOT_FOUND: workflow schedule \d+ does not exist/);
  assert.equal((await executions(server, 'heartbeat')).length, 4);
});

test('invalid schedule expressions are refused with the accepted forms', async (t) => {
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('heartbeat.ts'))).code, 0);
  for (const expression of [
    'every minute',
    'cron@* * *',
    'cron@61 * * * *',
    'interval@0 0 0 0',
    'interval@1 2',
  ]) {
    const result = await server.cli('workflow-schedule', 'add', 'heartbeat', expression);
    assert.equal(result.code, 1, expression);
    assert.match(result.stderr, /^aiflow: INVALID_SCHEDULE: invalid schedule /, expression);
  }
  const forms = await server.cli('workflow-schedule', 'add', 'heartbeat', 'hourly');
  assert.match(
    forms.stderr,
    /expected cron@<minute hour day-of-month month day-of-week>.* or interval@<days>/,
  );
  assert.deepEqual(await json(server, 'workflow-schedule', 'list', 'heartbeat'), []);
});

test('a run missed while the server was down is made up once at restart, then the schedule goes on', async (t) => {
  const home = tempDir(t);
  const port = await freePort();
  const clock = new ManualClock();
  const first = await startTestServer(t, { home, port, clock });
  assert.equal((await first.cli('workflow', 'upload', example('heartbeat.ts'))).code, 0);
  await json(first, 'workflow-schedule', 'add', 'heartbeat', 'interval@0 0 1 0');
  await first.close();

  clock.advance(5 * MINUTE + 30_000); // five runs missed
  const second = await startTestServer(t, { home, port, clock });
  const runs = await watchExecutions(t, second.url, 'heartbeat');
  clock.advance(0);
  await runs.finished(1);
  const [schedule] = await json<{ nextRunTime: number }[]>(second, 'workflow-schedule', 'list', 'heartbeat');
  assert.equal(schedule?.nextRunTime, clock.now() + MINUTE);
  assert.equal((await executions(second, 'heartbeat')).length, 1, 'one catch-up run, not five');
});

test('a trigger starts one execution per matching event, not when paused or when the workflow is disabled', async (t) => {
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('heartbeat.ts'))).code, 0);
  const runs = await watchExecutions(t, server.url, 'heartbeat');
  const trigger = await json<{ id: number }>(
    server,
    'workflow-trigger',
    'add',
    'heartbeat',
    '--event-key',
    'door/open',
  );
  await server.cli('event', 'send', 'door/open', 'x');
  await server.cli('event', 'send', 'door/open', 'y');
  await runs.finished(2);
  assert.equal((await server.cli('workflow-trigger', 'pause', String(trigger.id))).code, 0);
  await server.cli('event', 'send', 'door/open', 'paused');
  assert.equal((await server.cli('workflow-trigger', 'resume', String(trigger.id))).code, 0);
  assert.equal((await server.cli('workflow', 'disable', 'heartbeat')).code, 0);
  await server.cli('event', 'send', 'door/open', 'disabled');
  assert.equal((await server.cli('workflow', 'enable', 'heartbeat')).code, 0);
  await server.cli('event', 'send', 'door/open', 'z');
  await runs.finished(3);
  const all = await executions(server, 'heartbeat');
  assert.deepEqual(
    all.map((e) => [e.id, e.runType]),
    [
      [1, 'trigger'],
      [2, 'trigger'],
      [3, 'trigger'],
    ],
    'the events sent while paused or disabled started nothing',
  );
  const listed = await json<{ condition: { key: string } }[]>(
    server,
    'workflow-trigger',
    'list',
    'heartbeat',
  );
  assert.equal(listed[0]?.condition.key, 'door/open');
  assert.equal((await server.cli('workflow-trigger', 'delete-all', 'heartbeat')).code, 0);
  assert.deepEqual(await json(server, 'workflow-trigger', 'list', 'heartbeat'), []);
});

test('a trigger fires from a plain mosquitto_pub', async (t) => {
  if (!requireProgram(t, 'mosquitto_pub', 'Debian package mosquitto-clients')) return;
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('heartbeat.ts'))).code, 0);
  await json(server, 'workflow-trigger', 'add', 'heartbeat', '--event-key', 'sensor/motion');
  const runs = await watchExecutions(t, server.url, 'heartbeat');
  const pub = await run('mosquitto_pub', [
    '-p',
    String(server.port),
    '-q',
    '1',
    '-t',
    'ns/default/sensor/motion',
    '-m',
    '1',
  ]);
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal((await runs.finished(1)).value, 'success');
});

test("another workflow's completion starts a workflow, through a custom stateful trigger condition", async (t) => {
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('chained.ts'))).code, 0);
  const producer = await watchExecutions(t, server.url, 'producer');
  const consumer = await watchExecutions(t, server.url, 'consumer');
  await json(server, 'workflow-execution', 'start', 'producer');
  await producer.finished(1);
  const second = await json<{ id: number }>(server, 'workflow-execution', 'start', 'producer');
  await producer.finished(second.id);
  const started = await consumer.finished(3);
  assert.equal(started.value, 'success');
  const consumers = await executions(server, 'consumer');
  assert.deepEqual(
    consumers.map((e) => e.runType),
    ['trigger'],
    'only the second success passed the condition',
  );
  const triggers = await json<{ origin: string }[]>(server, 'workflow-trigger', 'list', 'consumer');
  assert.deepEqual(
    triggers.map((x) => x.origin),
    ['module'],
  );
});

test('a periodic task restarts on each real 1-second tick, its downstream task follows, and stopping ends the ticks', async (t) => {
  const server = await startTestServer(t);
  assert.equal((await server.cli('workflow', 'upload', example('periodic.ts'))).code, 0);
  const report = await watchTask(t, server.url, 'periodic', 'report');
  const runs = await watchExecutions(t, server.url, 'periodic');
  const { id } = await json<{ id: number }>(server, 'workflow-execution', 'start', 'periodic');
  // Three reports: the first run plus two ticks.
  await report.reachedTimes('success', 3);
  assert.equal((await server.cli('workflow-execution', 'stop', String(id))).code, 0);
  assert.equal((await runs.finished(id)).value, 'stopped');
  const tasks = await json<{ task: string; sequence: number }[]>(
    server,
    'task-execution',
    'list',
    String(id),
  );
  const collects = tasks.filter((r) => r.task === 'collect').length;
  const reports = tasks.filter((r) => r.task === 'report').length;
  assert.ok(collects >= 3, `collect ran ${collects} times`);
  assert.ok(
    reports <= collects,
    `report ran ${reports} times for ${collects} collects: once per collect at most`,
  );
  // A short explicit window: no tick may start anything once the execution is stopped.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const after = await json<{ task: string }[]>(server, 'task-execution', 'list', String(id));
  assert.equal(after.length, tasks.length, 'no tick after the stop');
});

test('schedules and triggers from the SDK', async (t) => {
  const clock = new ManualClock();
  const server = await startTestServer(t, { clock });
  assert.equal((await server.cli('workflow', 'upload', example('heartbeat.ts'))).code, 0);
  const client = await SchedulerClient.connect({ server: server.url });
  t.after(() => client.close());
  const ref = { workflow: 'heartbeat' };
  const runs = await watchExecutions(t, server.url, 'heartbeat');
  const schedule = await client.addWorkflowSchedule(ref, 'cron@*/5 * * * *');
  assert.equal(schedule.description.includes('*/5'), true);
  assert.deepEqual(
    (await client.listWorkflowSchedules(ref)).map((s) => s.id),
    [schedule.id],
  );
  assert.equal((await client.pauseWorkflowSchedule(schedule.id)).paused, true);
  assert.equal((await client.resumeWorkflowSchedule(schedule.id)).paused, false);
  clock.advance(5 * MINUTE);
  await runs.finished(1);
  await client.deleteWorkflowSchedule(schedule.id);
  await assert.rejects(client.pauseWorkflowSchedule(schedule.id), { code: 'NOT_FOUND' });

  const trigger = await client.addWorkflowTrigger(ref, { key: 'deploy', value: 'prod' });
  assert.equal((await client.pauseWorkflowTrigger(trigger.id)).paused, true);
  assert.equal((await client.resumeWorkflowTrigger(trigger.id)).paused, false);
  await server.cli('event', 'send', 'deploy', 'staging'); // another value: no run
  await server.cli('event', 'send', 'deploy', 'prod');
  await runs.finished(2);
  assert.equal((await client.listWorkflowTriggers(ref)).length, 1);
  await client.deleteWorkflowTrigger(trigger.id);
  assert.equal(await client.startWorkflowExecution(ref), 3);
  assert.deepEqual(
    (await executions(server, 'heartbeat')).map((e) => e.runType),
    ['schedule', 'trigger', 'manual'],
  );
});
