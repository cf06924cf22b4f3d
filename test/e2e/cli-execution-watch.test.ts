import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli } from '../../cli/program.ts';
import { deferred, tempDir } from '../helpers.ts';
import { startTestServer, watchTask } from '../server-harness.ts';

const MODULE = `import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';
export const ok = new Workflow('ok');
const a = ok.bash('a', 'echo first');
ok.bash('b', 'echo second').startAfter(a);
export const bad = new Workflow('bad');
bad.bash('x', 'exit 3');
export const slow = new Workflow('slow');
slow.bash('s', 'sleep 600');
export const rules = new Workflow('rules');
const r1 = rules.bash('a', 'true');
rules.bash('b', 'true').startAfter(r1);
rules.bash('c', 'sleep 60').actionOnEventReceived(TaskAction.STOP, 'halt');
`;

async function serverWithModule(t: TestContext) {
  const server = await startTestServer(t);
  const file = join(tempDir(t), 'ops.ts');
  writeFileSync(file, MODULE);
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  return server;
}

test('start --wait exits with 0, 1 or 2 from the final status and prints it', async (t) => {
  const server = await serverWithModule(t);
  const ok = await server.cli('workflow-execution', 'start', 'ok', '--wait');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^workflow execution (\d+) started\nworkflow execution \1 success\n$/);

  const bad = await server.cli('workflow-execution', 'start', 'bad', '--wait', '-o', 'json');
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, '', 'a failed execution is a result, not a CLI error');
  assert.deepEqual(JSON.parse(bad.stdout), {
    id: JSON.parse(bad.stdout).id,
    workflow: 'bad',
    status: 'failed',
  });

  const running = await watchTask(t, server.url, 'slow', 's');
  const waiting = server.cli('workflow-execution', 'start', 'slow', '--wait');
  const executionId = JSON.parse((await running.reached('running')).context!).workflowExecutionId as number;
  assert.equal((await server.cli('workflow-execution', 'stop', String(executionId))).code, 0);
  const stopped = await waiting;
  assert.equal(stopped.code, 2);
  assert.match(stopped.stdout, new RegExp(`workflow execution ${executionId} stopped\\n$`));
});

test('start --follow prints one line per task status change until the execution ends', async (t) => {
  const server = await serverWithModule(t);
  const followed = await server.cli('workflow-execution', 'start', 'ok', '--follow');
  assert.equal(followed.code, 0, followed.stderr);
  const lines = followed.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^workflow execution \d+ started$/);
  assert.match(lines.at(-1)!, /^workflow execution \d+ success$/);
  const changes = lines.slice(1, -1).map((line) => line.replace(/ \[task execution \d+\]$/, ''));
  // Each task's own statuses arrive in order; the two tasks' lines may interleave.
  for (const task of ['a', 'b']) {
    assert.deepEqual(
      changes.filter((line) => line.startsWith(`task ${task}:`)),
      [`task ${task}: queued`, `task ${task}: running`, `task ${task}: success`],
    );
  }
  assert.equal(changes.length, 6);

  const failed = await server.cli('workflow-execution', 'start', 'bad', '--follow', '-o', 'json');
  assert.equal(failed.code, 1);
  const documents = failed.stdout
    .trimEnd()
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    documents.map((d: { task: string; status: string }) => `${d.task} ${d.status}`),
    ['x queued', 'x running', 'x failed'],
  );
});

test('workflow show lists every task with its rules in words, then schedules and triggers', async (t) => {
  const server = await serverWithModule(t);
  assert.equal((await server.cli('workflow-schedule', 'add', 'rules', 'interval@0 1 0 0')).code, 0);
  assert.equal(
    (await server.cli('workflow-trigger', 'add', 'rules', '--event-key', 'go', '--event-value', 'now')).code,
    0,
  );
  const shown = await server.cli('workflow', 'show', 'rules');
  assert.equal(shown.code, 0, shown.stderr);
  const words = shown.stdout.slice(shown.stdout.indexOf('tasks:'));
  assert.match(words, /^ {2}a {2}bash "true"\n {4}a: START with the workflow execution\n/m);
  assert.match(words, /^ {4}b: START when a is success$/m);
  assert.match(words, /^ {4}c: START with the workflow execution\n {4}c: STOP on event "halt"$/m);
  assert.match(words, /^schedules:\n {2}\d+: interval@0 1 0 0/m);
  assert.match(words, /^triggers:\n {2}\d+: on event "go" = "now" \[cli\]$/m);
});

test('start --follow on a terminal redraws one table in place until the end', async (t) => {
  const server = await serverWithModule(t);
  let stdout = '';
  const code = await runCli(['workflow-execution', 'start', 'ok', '--follow', '-s', server.url], {
    stdout: (text) => (stdout += text),
    stderr: () => undefined,
    env: {},
    stdoutIsTerminal: true,
    untilStopped: () => deferred().promise,
  });
  assert.equal(code, 0);
  // Each redraw moves the cursor up over the previous table and erases to the end of the screen.
  const draws = stdout.split('\u001b[0J');
  assert.ok(draws.length > 2, 'the table was redrawn at each change');
  const last = draws.at(-1)!;
  assert.match(last, /^workflow execution \d+ of ok: success\nTASK +STATUS +TASK EXECUTION +REASON\n/);
  assert.match(last, /^a +success +\d+$/m);
  assert.match(last, /^b +success +\d+$/m);
  assert.match(last, /\nworkflow execution \d+ success\n$/);
});
