import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../fixtures/executor/recorder.ts';
import { HANG_GUARD_MS, tempDir } from '../helpers.ts';
import {
  findCondition,
  findTask,
  loadWorkflows,
  loadWorkflowsIsolated,
  toSpec,
  Workflow,
  type WorkflowSpec,
} from '../../workflow/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/workflows/${name}`, import.meta.url));

/** Asserts an INVALID_WORKFLOW rejection with this exact message. */
async function rejects(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, { name: 'AIFlowError', code: 'INVALID_WORKFLOW', message });
}

/** The isolated loader with a limit that only guards against a hang: these loads are not about its time limit. */
const loadIsolated = (file: string) => loadWorkflowsIsolated(file, { timeoutMs: HANG_GUARD_MS });

const PIPELINE_TASKS = ['prepare', 'train', 'report'];

test('loadWorkflows imports a module and returns its workflows (default export first) with their specs', async () => {
  const { workflows, specs } = await loadWorkflows(fixture('two-workflows.ts'));
  assert.deepEqual(
    workflows.map((workflow) => [workflow.namespace, workflow.name]),
    [
      ['default', 'pipeline'],
      ['ops', 'monitor'],
    ],
  );
  assert.ok(workflows.every((workflow) => workflow instanceof Workflow));
  assert.deepEqual(specs, workflows.map(toSpec));
  const [pipeline] = workflows;
  assert.ok(pipeline);
  const train = findTask(pipeline, 'train');
  assert.equal(train.operator.type, 'function');
  const context = {
    workflow: 'pipeline',
    task: 'train',
    namespace: 'default',
    taskExecutionId: 1,
    sequence: 1,

    signal: new AbortController().signal,
  };
  assert.equal(
    train.operator.type === 'function' && (await train.operator.fn({ ...context, workflowExecutionId: 7 })),
    'trained in execution 7',
  );
  const module = (await import(fixture('two-workflows.ts'))) as { EverySecondTick: new () => unknown };
  assert.ok(findCondition(pipeline, 'report/0/1') instanceof module.EverySecondTick);
});

test('loadWorkflows reports a top-level exception at its line, like the isolated loader', async () => {
  const file = fixture('throws-at-top-level.ts');
  await rejects(loadWorkflows(file), `${file}:7:9: Error: settings file is missing`);
  await rejects(
    loadWorkflows(fixture('no-workflow.ts')),
    `${fixture('no-workflow.ts')}: exports no Workflow (export one: export default workflow, or a named export)`,
  );
});

test('isolated: a valid module with two workflows gives the same specs as loading in-process', async () => {
  const specs = await loadIsolated(fixture('two-workflows.ts'));
  const { specs: expected } = await loadWorkflows(fixture('two-workflows.ts'));
  assert.deepEqual(specs, expected);
  assert.deepEqual(
    specs.map((spec: WorkflowSpec) => `${spec.namespace}/${spec.name}`),
    ['default/pipeline', 'ops/monitor'],
  );
  assert.deepEqual(
    specs[0]?.tasks.map((task) => task.name),
    PIPELINE_TASKS,
  );
  assert.deepEqual(specs[0]?.tasks[2]?.rules[0]?.condition, {
    type: 'all',
    name: 'report-ready',
    conditions: [
      { type: 'event', key: 'approved' },
      { type: 'custom', path: 'report/0/1', keys: ['tick'] },
    ],
  });
  assert.equal(specs[1]?.tasks[0]?.periodic, 'interval@0 0 1 0');
});

test('isolated: a module that prints and leaves a timer running still loads, and the process ends', async () => {
  const specs = await loadIsolated(fixture('keeps-handles-open.ts'));
  assert.deepEqual(
    specs.map((spec) => spec.name),
    ['busy'],
  );
});

// The module's `sleep 600` keeps the loader's pipes open: the loader must answer while it still runs.
test('isolated: a process started by the module does not delay the answer', async (t) => {
  const pidFile = join(tempDir(t), 'spawned.pid');
  process.env.SPAWNED_PID_FILE = pidFile;
  t.after(() => delete process.env.SPAWNED_PID_FILE);
  const specs = await loadIsolated(fixture('spawns-a-process.ts'));
  const spawned = Number(readFileSync(pidFile, 'utf8'));
  t.after(() => process.kill(spawned, 'SIGKILL'));
  assert.deepEqual(
    specs.map((spec) => spec.name),
    ['spawner'],
  );
  assert.ok(isAlive(spawned), 'answered while the spawned process still holds the pipes');
});

test('isolated: a syntax error in a TypeScript module gives its line and column', async (t) => {
  const file = join(tempDir(t), 'syntax-error.ts');
  copyFileSync(fixture('syntax-error.ts.txt'), file);
  await rejects(loadIsolated(file), `${file}:5:29: SyntaxError: Expected ";" but found ")"`);
});

test('isolated: a syntax error in a plain ESM JavaScript module gives its line and column', async (t) => {
  const file = join(tempDir(t), 'syntax-error.mjs');
  copyFileSync(fixture('syntax-error.mjs.txt'), file);
  await rejects(loadIsolated(file), `${file}:4:25: SyntaxError: Unexpected token ';'`);
});

test('isolated: an exception at top level gives the line in the module; the path is quoted as given', async () => {
  const file = relative(process.cwd(), fixture('throws-at-top-level.ts'));
  await rejects(loadIsolated(file), `${file}:7:9: Error: settings file is missing`);
});

test('isolated: a module with no workflow', async () => {
  const file = fixture('no-workflow.ts');
  await rejects(
    loadIsolated(file),
    `${file}: exports no Workflow (export one: export default workflow, or a named export)`,
  );
});

test('isolated: duplicate task names, reported at the second declaration', async () => {
  const file = fixture('duplicate-task.ts');
  await rejects(loadIsolated(file), `${file}:6:10: workflow "duplicates": duplicate task name "train"`);
});

test('isolated: a rule on an unknown task', async () => {
  const file = fixture('unknown-task.ts');
  await rejects(
    loadIsolated(file),
    `${file}: workflow "unknown-task" task "deploy" rule 0: unknown task "tarin"`,
  );
});

test('isolated: a startAfter cycle', async () => {
  const file = fixture('start-after-cycle.ts');
  await rejects(
    loadIsolated(file),
    `${file}: workflow "cycle": tasks "a", "b" can never start: every rule that could start them waits for the status of one of them`,
  );
});

test('isolated: an unknown import, at the line of the import', async () => {
  const file = fixture('unknown-import.ts');
  await rejects(loadIsolated(file), `${file}:5:24: Cannot find package "aiflow-no-such-package"`);
});

test('isolated: a missing relative import, at its line, in an ES module and in a CommonJS one', async (t) => {
  const file = fixture('missing-relative-import.ts');
  await rejects(loadIsolated(file), `${file}:3:26: Cannot find module "./no-such-helper.ts"`);
  // No package.json with "type": "module" above a temporary folder: tsx runs the file as CommonJS.
  const commonJs = join(tempDir(t), 'missing-relative-import.ts');
  copyFileSync(file, commonJs);
  await rejects(loadIsolated(commonJs), `${commonJs}:3:26: Cannot find module "./no-such-helper.ts"`);
  await rejects(loadWorkflows(commonJs), `${commonJs}:3:26: Cannot find module "./no-such-helper.ts"`);
});

test('isolated: a module that loops forever is killed after timeoutMs', async () => {
  const file = fixture('loops-forever.ts');
  await rejects(
    loadWorkflowsIsolated(file, { timeoutMs: 1500 }),
    `${file}: loading took longer than 1500 ms`,
  );
});

test('isolated: a module that ends the process before the loader reports', async () => {
  const file = fixture('exits-early.ts');
  await rejects(
    loadIsolated(file),
    `${file}: the loading process exited with code 3 before reporting: no output`,
  );
});

test('a file that does not exist', async () => {
  const file = fixture('no-such-file.ts');
  await rejects(loadWorkflows(file), `${file}: no such file`);
  await rejects(loadIsolated(file), `${file}: no such file`);
});

test('isolated: timeoutMs must be a positive integer', async () => {
  for (const timeoutMs of [0, -1, 1.5, NaN]) {
    await assert.rejects(loadWorkflowsIsolated(fixture('two-workflows.ts'), { timeoutMs }), {
      code: 'INVALID_OPTION',
      message: `timeoutMs must be an integer > 0, got ${timeoutMs}`,
    });
  }
});
