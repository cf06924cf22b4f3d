import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../helpers.ts';
import { startTestServer, watchExecutions } from '../server-harness.ts';

test('an invalid workflow module is rejected at upload with its line and reason', async (t) => {
  const server = await startTestServer(t);
  const dir = tempDir(t);
  const broken = join(dir, 'broken.ts');
  copyFileSync(join(ROOT, 'test/fixtures/workflows/syntax-error.ts.txt'), broken);
  const syntax = await server.cli('workflow', 'upload', broken);
  assert.equal(syntax.code, 1);
  assert.match(syntax.stderr, /^aiflow: INVALID_WORKFLOW: .*broken\.ts:\d+:\d+: .+\n$/);

  for (const [fixture, reason] of [
    ['no-workflow.ts', /exports no Workflow/],
    ['duplicate-task.ts', /duplicate task name/],
    ['unknown-task.ts', /unknown task/],
    ['start-after-cycle.ts', /can never start/],
  ] as const) {
    const result = await server.cli('workflow', 'upload', join(ROOT, 'test/fixtures/workflows', fixture));
    assert.equal(result.code, 1, fixture);
    assert.match(result.stderr, /^aiflow: INVALID_WORKFLOW: /, fixture);
    assert.match(result.stderr, reason, fixture);
  }
  const missing = await server.cli('workflow', 'upload', join(dir, 'nope.ts'));
  assert.match(missing.stderr, /^aiflow: NOT_FOUND: cannot read /);
  const list = await server.cli('workflow', 'list', '-o', 'json');
  assert.deepEqual(JSON.parse(list.stdout), [], 'nothing was stored');
});

test('a workflow in a namespace that does not exist is refused until the namespace is added', async (t) => {
  const server = await startTestServer(t);
  const file = join(tempDir(t), 'ops.ts');
  writeFileSync(
    file,
    "import { Workflow } from 'aiflow-mqtt/workflow';\nconst w = new Workflow('nightly', { namespace: 'ops' });\nw.bash('t', 'true');\nexport default w;\n",
  );
  const refused = await server.cli('workflow', 'upload', file);
  assert.match(refused.stderr, /^aiflow: NOT_FOUND: namespace ops of workflow nightly does not exist/);
  assert.equal((await server.cli('namespace', 'add', 'ops')).code, 0);
  assert.match(
    (await server.cli('namespace', 'add', 'ops')).stderr,
    /^aiflow: ALREADY_EXISTS: namespace ops already exists/,
  );
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  const executions = await watchExecutions(t, server.url, 'nightly', 'ops');
  const started = await server.cli('workflow-execution', 'start', 'nightly', '-n', 'ops', '-o', 'json');
  assert.equal((await executions.finished(JSON.parse(started.stdout).id)).value, 'success');
  const names = await server.cli('namespace', 'list', '-o', 'json');
  assert.deepEqual(
    (JSON.parse(names.stdout) as { name: string }[]).map((n) => n.name),
    ['default', 'ops'],
  );
  assert.match(
    (await server.cli('namespace', 'delete', 'ops')).stderr,
    /CONFLICT: namespace ops still has workflows/,
  );
  assert.equal((await server.cli('workflow', 'delete', 'nightly', '-n', 'ops')).code, 0);
  assert.equal((await server.cli('namespace', 'delete', 'ops')).code, 0);
  assert.match(
    (await server.cli('namespace', 'delete', 'default')).stderr,
    /CONFLICT: the default namespace/,
  );
});

test('unknown names in every command give NOT_FOUND with a one-line reason', async (t) => {
  const server = await startTestServer(t);
  const cases: string[][] = [
    ['namespace', 'delete', 'nope'],
    ['workflow', 'show', 'nope'],
    ['workflow', 'enable', 'nope'],
    ['workflow', 'disable', 'nope'],
    ['workflow', 'delete', 'nope'],
    ['workflow-execution', 'start', 'nope'],
    ['workflow-execution', 'stop-all', 'nope'],
    ['workflow-execution', 'list', 'nope'],
    ['workflow-execution', 'show', '99'],
    ['workflow-execution', 'delete', '99'],
    ['task-execution', 'list', '99'],
    ['task-execution', 'show', '99'],
    ['task-execution', 'logs', '99'],
    ['task-execution', 'start', '99', 'x'],
    ['task-execution', 'stop', '99', 'x'],
  ];
  for (const argv of cases) {
    const result = await server.cli(...argv);
    assert.equal(result.code, 1, argv.join(' '));
    assert.match(result.stderr, /^aiflow: NOT_FOUND: [^\n]+\n$/, argv.join(' '));
  }
  const stop = await server.cli('workflow-execution', 'stop', '99');
  assert.match(stop.stderr, /^aiflow: CONFLICT: workflow execution 99 is not running\n$/);
  const bad = await server.cli('workflow-execution', 'show', 'abc');
  assert.match(
    bad.stderr,
    /^aiflow: INVALID_REQUEST: workflowExecution.show: workflowExecutionId must be a positive integer\n$/,
  );
});

test('workflow show, execution show/delete and task logs through the CLI', async (t) => {
  const server = await startTestServer(t);
  assert.equal(
    (await server.cli('workflow', 'upload', join(ROOT, 'examples/workflows/quickstart.ts'))).code,
    0,
  );
  const shown = await server.cli('workflow', 'show', 'quickstart');
  assert.match(shown.stdout, /tasks\s+task1, task2, task3, task4/);
  const executions = await watchExecutions(t, server.url, 'quickstart');
  const { id } = JSON.parse(
    (await server.cli('workflow-execution', 'start', 'quickstart', '-o', 'json')).stdout,
  );
  await executions.finished(id);
  const detail = JSON.parse(
    (await server.cli('workflow-execution', 'show', String(id), '-o', 'json')).stdout,
  );
  assert.equal(detail.status, 'success');
  const task1 = detail.taskExecutions.find((te: { task: string }) => te.task === 'task1');
  const logs = await server.cli('task-execution', 'logs', String(task1.id));
  assert.match(logs.stdout, /I am the 1st task\./);
  const list = await server.cli('workflow-execution', 'list', 'quickstart');
  assert.match(
    list.stdout,
    new RegExp(`^ID\\s+WORKFLOW\\s+STATUS[^\\n]*\\n${id}\\s+quickstart\\s+success\\s+manual`),
  );
  assert.equal((await server.cli('workflow-execution', 'delete', String(id))).code, 0);
  assert.match((await server.cli('workflow-execution', 'show', String(id))).stderr, /NOT_FOUND/);
});
