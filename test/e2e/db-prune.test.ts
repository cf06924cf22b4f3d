import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Event } from '../../protocol/event.ts';
import { startServerCli } from '../aiflow-process.ts';
import { tempDir } from '../helpers.ts';
import { startTestServer, watchExecutions, watchTask } from '../server-harness.ts';

const MODULE = `import { Workflow } from 'aiflow-mqtt/workflow';
export const ok = new Workflow('ok');
ok.bash('a', 'echo done');
export const slow = new Workflow('slow');
slow.bash('s', 'sleep 600');
`;

test('db prune removes old events below the scheduler checkpoint and finished executions with their files, nothing else', async (t) => {
  const server = await startTestServer(t);
  const file = join(tempDir(t), 'prune.ts');
  writeFileSync(file, MODULE);
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  assert.equal((await server.cli('namespace', 'add', 'ops')).code, 0);
  assert.equal((await server.cli('workflow-trigger', 'add', 'ok', '--event-key', 'go')).code, 0);
  for (let i = 0; i < 2; i++)
    assert.equal((await server.cli('workflow-execution', 'start', 'ok', '--wait')).code, 0);
  for (let i = 0; i < 10; i++) assert.equal((await server.cli('event', 'send', 'k', String(i))).code, 0);
  for (let i = 0; i < 3; i++)
    assert.equal((await server.cli('event', 'send', 'k', String(i), '-n', 'ops')).code, 0);
  // An execution started by the last event: once it has run, the scheduler has processed every event before it.
  const executions = await watchExecutions(t, server.url, 'ok');
  const go = JSON.parse((await server.cli('event', 'send', 'go', '-o', 'json')).stdout) as Event;
  const triggered = await executions.finished(3);
  assert.ok(triggered.offset > go.offset);
  const running = await watchTask(t, server.url, 'slow', 's');
  assert.equal((await server.cli('workflow-execution', 'start', 'slow')).code, 0);
  await running.reached('running');

  const tasksDir = join(server.home, 'tasks');
  const filesBefore = readdirSync(tasksDir);
  const list = async (namespace: string) =>
    JSON.parse((await server.cli('event', 'list', '-n', namespace, '-o', 'json')).stdout) as Event[];
  const before = { default: await list('default'), ops: await list('ops') };

  const dry = await server.cli(
    'db',
    'prune',
    '--events-keep',
    '2',
    '--executions-older-than',
    '0s',
    '--dry-run',
    '-o',
    'json',
  );
  assert.equal(dry.code, 0, dry.stderr);
  const counted = JSON.parse(dry.stdout);
  assert.equal(
    counted.executions.executions,
    3,
    'the three finished executions; the running one is not counted',
  );
  assert.deepEqual(readdirSync(tasksDir), filesBefore, 'a dry run removes nothing');
  assert.deepEqual(await list('default'), before.default);

  const pruned = await server.cli('db', 'prune', '--events-keep', '2', '--executions-older-than', '0s');
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /^executions: removed 3 \(3 task executions, \d+ task files\): 1, 2, 3\n/);
  assert.match(
    pruned.stdout,
    /\nevents: removed \d+ \(default \d+, ops 1\), none above the scheduler checkpoint \d+\n$/,
  );
  const maxOffset = Number(/checkpoint (\d+)/.exec(pruned.stdout)![1]);
  assert.ok(maxOffset >= go.offset, 'the checkpoint is past the trigger event');

  for (const namespace of ['default', 'ops'] as const) {
    const all = before[namespace];
    const keepFrom = all.at(-3)?.offset ?? 0; // the newest two stay whatever their age
    const expected = all.filter((e) => e.offset > Math.min(maxOffset, keepFrom));
    assert.deepEqual(await list(namespace), expected, `exactly the expected events of ${namespace} remain`);
  }
  const removedEvents =
    before.default.length + before.ops.length - (await list('default')).length - (await list('ops')).length;
  assert.equal(removedEvents, Number(/events: removed (\d+)/.exec(pruned.stdout)![1]));
  assert.equal(counted.events.removed, removedEvents, 'the dry run counted what the prune removed');

  assert.deepEqual(
    JSON.parse((await server.cli('workflow-execution', 'list', 'ok', '-o', 'json')).stdout),
    [],
  );
  const slow = JSON.parse((await server.cli('workflow-execution', 'list', 'slow', '-o', 'json')).stdout);
  assert.equal(slow.length, 1, 'the running execution stays');
  const left = readdirSync(tasksDir);
  assert.ok(left.length > 0, 'the running task keeps its files');
  assert.ok(left.every((f) => filesBefore.includes(f)));
  assert.equal(filesBefore.length - left.length, Number(/(\d+) task files/.exec(pruned.stdout)![1]));
});

test('db prune refuses to run without a criterion', async (t) => {
  const server = await startTestServer(t);
  const result = await server.cli('db', 'prune');
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^aiflow: INVALID_OPTION: give --events-older-than/);
});

test('server start --retain-executions/--retain-events prunes periodically', async (t) => {
  const { server, aiflow } = await startServerCli(t, [
    '--retain-executions',
    '0s',
    '--retain-events',
    '0s',
    '--retention-interval-ms',
    '300',
    '--log-format',
    'pretty',
  ]);
  const file = join(tempDir(t), 'prune.ts');
  writeFileSync(file, MODULE);
  assert.equal((await aiflow('workflow', 'upload', file)).code, 0);
  const done = await aiflow('workflow-execution', 'start', 'ok', '--wait');
  assert.equal(done.code, 0, done.stderr);
  await server.printed(/retention: executions pruned executions=1 /);
  assert.deepEqual(JSON.parse((await aiflow('workflow-execution', 'list', 'ok', '-o', 'json')).stdout), []);
  await server.printed(/retention: events pruned removed=[1-9]/);
});
