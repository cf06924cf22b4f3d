import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { callScheduler } from '../../cli/scheduler-call.ts';
import { tempDir } from '../helpers.ts';
import {
  example,
  startExecution,
  startTestServer,
  taskExecutions,
  watchExecutions,
  watchTask,
} from '../server-harness.ts';

/*
 * A workflow module is uploaded with what it imports: local files and npm packages of the user's project are
 * bundled by the CLI into one artifact, which the snapshot keeps and every task and condition runs.
 */

/** Writes `files` (path relative to a new project folder → text) and returns the folder. */
function project(t: TestContext, files: Record<string, string>): string {
  const dir = tempDir(t);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A tiny CommonJS npm package, installed in the project's `node_modules` as npm would. */
const SHOUTY = {
  'node_modules/shouty/package.json': '{ "name": "shouty", "version": "1.0.0", "main": "index.js" }\n',
  'node_modules/shouty/index.js': 'exports.shout = (text) => `${text.toUpperCase()}!`;\n',
};

const greeting = (word: string) =>
  `export const greeting: string = '${word}';\nexport const greet = (name: string): string => \`\${greeting} \${name}\`;\n`;

test('a module importing a helper file and an npm package runs them in a function task, a bash task and a custom condition', async (t) => {
  const server = await startTestServer(t);
  const out = tempDir(t);
  const dir = project(t, {
    ...SHOUTY,
    'lib/greeting.ts': greeting('hello'),
    'lib/conditions.ts': [
      "import { Condition, type Event } from 'aiflow-mqtt/workflow';",
      "import { shout } from 'shouty';",
      '/** Met by an event whose value is the shouted word. */',
      'export class Shouted extends Condition {',
      '  constructor(key: string, private readonly word: string) { super([key]); }',
      '  isMet(event: Event): boolean { return event.value === shout(this.word); }',
      '}',
      '',
    ].join('\n'),
    'flow.ts': [
      "import { writeFileSync } from 'node:fs';",
      "import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';",
      "import { shout } from 'shouty';",
      "import { greet } from './lib/greeting.js';",
      "import { Shouted } from './lib/conditions.ts';",
      "const workflow = new Workflow('project');",
      `workflow.fn('speak', async () => writeFileSync(${JSON.stringify(join(out, 'speak'))}, shout(greet('world'))));`,
      `workflow.bash('echo', 'echo bash ran > ${join(out, 'echo')}');`,
      `workflow.fn('answer', async () => writeFileSync(${JSON.stringify(join(out, 'answer'))}, greet('event')))`,
      "  .actionOnCondition(TaskAction.START, new Shouted('go', 'yes'));",
      'export default workflow;',
      '',
    ].join('\n'),
  });
  const upload = await server.cli('workflow', 'upload', join(dir, 'flow.ts'));
  assert.equal(upload.code, 0, upload.stderr);
  const executions = await watchExecutions(t, server.url, 'project');
  const speak = await watchTask(t, server.url, 'project', 'speak');
  const id = await startExecution(server, 'project');
  await speak.reached('success');
  // The condition runs in the sandbox from the same artifact: `yes` is not met, `YES!` (shout('yes')) is.
  for (const value of ['yes', 'YES!']) {
    assert.equal((await server.cli('event', 'send', 'go', value)).code, 0);
  }
  assert.equal((await executions.finished(id)).value, 'success');
  assert.equal(readFileSync(join(out, 'speak'), 'utf8'), 'HELLO WORLD!');
  assert.equal(readFileSync(join(out, 'echo'), 'utf8'), 'bash ran\n');
  assert.equal(readFileSync(join(out, 'answer'), 'utf8'), 'hello event');
  // What the snapshot keeps and the task ran: the artifact, plain JavaScript.
  assert.ok(existsSync(join(server.home, 'snapshots', '1', 'flow.mjs')));
});

test('an execution runs the code of its snapshot, whatever changed on disk since the upload', async (t) => {
  const server = await startTestServer(t);
  const out = join(tempDir(t), 'said');
  const dir = project(t, {
    ...SHOUTY,
    'lib/greeting.ts': greeting('old'),
    'flow.ts': [
      "import { writeFileSync } from 'node:fs';",
      "import { Workflow } from 'aiflow-mqtt/workflow';",
      "import { shout } from 'shouty';",
      "import { greet } from './lib/greeting.ts';",
      "const workflow = new Workflow('frozen');",
      `workflow.fn('say', async () => writeFileSync(${JSON.stringify(out)}, shout(greet('code'))));`,
      'export default workflow;',
      '',
    ].join('\n'),
  });
  const executions = await watchExecutions(t, server.url, 'frozen');
  const runOnce = async () => {
    rmSync(out, { force: true });
    assert.equal((await executions.finished(await startExecution(server, 'frozen'))).value, 'success');
    return readFileSync(out, 'utf8');
  };
  assert.equal((await server.cli('workflow', 'upload', join(dir, 'flow.ts'))).code, 0);
  assert.equal(await runOnce(), 'OLD CODE!');
  writeFileSync(join(dir, 'lib/greeting.ts'), greeting('new'));
  writeFileSync(join(dir, 'node_modules/shouty/index.js'), 'exports.shout = (text) => text;\n');
  assert.equal(await runOnce(), 'OLD CODE!', 'the same snapshot, the same code');
  assert.equal((await server.cli('workflow', 'upload', join(dir, 'flow.ts'))).code, 0);
  assert.equal(await runOnce(), 'new code', 'a new upload takes the files as they are now');
});

test('an import that cannot be resolved fails at upload with the importing file and line', async (t) => {
  const server = await startTestServer(t);
  const dir = project(t, {
    'lib/helper.ts': "export const a = 1;\nexport { b } from './gone.ts';\n",
    'flow.ts': [
      "import { Workflow } from 'aiflow-mqtt/workflow';",
      "import { a } from './lib/helper.ts';",
      "const workflow = new Workflow('broken');",
      "workflow.bash('t', `echo ${a}`);",
      'export default workflow;',
      '',
    ].join('\n'),
    'package.ts':
      "import { Workflow } from 'aiflow-mqtt/workflow';\nimport 'not-installed';\nexport default new Workflow('w');\n",
  });
  const helper = await server.cli('workflow', 'upload', join(dir, 'flow.ts'));
  assert.equal(helper.code, 1);
  assert.equal(
    helper.stderr,
    `aiflow: INVALID_WORKFLOW: ${join(dir, 'lib/helper.ts')}:2:19: Could not resolve "./gone.ts"\n`,
  );
  const npm = await server.cli('workflow', 'upload', join(dir, 'package.ts'));
  assert.equal(npm.code, 1);
  assert.match(
    npm.stderr,
    /^aiflow: INVALID_WORKFLOW: \S+\/package\.ts:2:8: Could not resolve "not-installed"/,
  );
  assert.deepEqual(JSON.parse((await server.cli('workflow', 'list', '-o', 'json')).stdout), []);
});

test('an exception at the top level of a helper is reported at the helper’s line, through the source map', async (t) => {
  const server = await startTestServer(t);
  const dir = project(t, {
    'lib/settings.ts': [
      'interface Settings { region: string }',
      'const settings: Settings | undefined = undefined;',
      "if (settings === undefined) throw new Error('settings are missing');",
      'export const region: string = settings.region;',
      '',
    ].join('\n'),
    'flow.ts': [
      "import { Workflow } from 'aiflow-mqtt/workflow';",
      "import { region } from './lib/settings.ts';",
      'export default new Workflow(region);',
      '',
    ].join('\n'),
  });
  const result = await server.cli('workflow', 'upload', join(dir, 'flow.ts'));
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `aiflow: INVALID_WORKFLOW: ${join(dir, 'lib/settings.ts')}:3:35: Error: settings are missing\n`,
  );
  // An npm package that throws as it loads: the import that brought it in, never a line of the artifact itself.
  const packaged = project(t, {
    'node_modules/broken/package.json': '{ "name": "broken", "main": "index.js" }\n',
    'node_modules/broken/index.js': "exports.value = 1;\nthrow new Error('broken package');\n",
    'flow.ts': [
      "import { Workflow } from 'aiflow-mqtt/workflow';",
      "import { value } from 'broken';",
      'export default new Workflow(`w${value}`);',
      '',
    ].join('\n'),
  });
  const broken = await server.cli('workflow', 'upload', join(packaged, 'flow.ts'));
  assert.equal(broken.code, 1);
  assert.match(
    broken.stderr,
    new RegExp(`^aiflow: INVALID_WORKFLOW: ${join(packaged, 'flow.ts')}:2:\\d+: Error: broken package\n$`),
  );
});

test('an earlier client’s upload of one module (no format) is still accepted, and bundled by the server', async (t) => {
  const server = await startTestServer(t);
  const source = [
    "import { Workflow } from 'aiflow-mqtt/workflow';",
    "const workflow = new Workflow('legacy');",
    "workflow.bash('t', 'true');",
    'export default workflow;',
    '',
  ].join('\n');
  const saved = await callScheduler(server.url, 'workflow.upload', {
    fileName: 'legacy.ts',
    source,
  });
  assert.deepEqual(
    saved.map((s) => s.name),
    ['legacy'],
  );
  const executions = await watchExecutions(t, server.url, 'legacy');
  assert.equal((await executions.finished(await startExecution(server, 'legacy'))).value, 'success');
  await assert.rejects(
    // Another format, as a client of another language could send it: the declaration refuses it.
    callScheduler(server.url, 'workflow.upload', { fileName: 'x.ts', source, format: 'zip' as 'bundle' }),
    { code: 'INVALID_REQUEST' },
  );
  await assert.rejects(
    callScheduler(server.url, 'workflow.upload', {
      fileName: 'needs-helper.ts',
      source: `import './helper.ts';\n${source}`,
    }),
    { code: 'INVALID_WORKFLOW', message: /needs-helper\.ts:1:8: Could not resolve "\.\/helper\.ts"$/ },
  );
});

test("the project example uploads with its helper file and its task prints the helper's summary", async (t) => {
  const server = await startTestServer(t);
  const upload = await server.cli('workflow', 'upload', example('project/flow.ts'));
  assert.equal(upload.code, 0, upload.stderr);
  const executions = await watchExecutions(t, server.url, 'project_report');
  const id = await startExecution(server, 'project_report');
  assert.equal((await executions.finished(id)).value, 'success');
  const [report] = await taskExecutions(server, id);
  const logs = await server.cli('task-execution', 'logs', String(report!.id));
  assert.match(logs.stdout, /count 3, mean 4, max 5/);
});

test('a function task that throws in a helper logs a stack that names the helper’s line', async (t) => {
  const server = await startTestServer(t);
  const dir = project(t, {
    'lib/check.ts': "export function check(): void {\n  throw new Error('check failed');\n}\n",
    'flow.ts': [
      "import { Workflow } from 'aiflow-mqtt/workflow';",
      "import { check } from './lib/check.ts';",
      "const workflow = new Workflow('throws');",
      "workflow.fn('check', async () => check());",
      'export default workflow;',
      '',
    ].join('\n'),
  });
  assert.equal((await server.cli('workflow', 'upload', join(dir, 'flow.ts'))).code, 0);
  const executions = await watchExecutions(t, server.url, 'throws');
  const id = await startExecution(server, 'throws');
  assert.equal((await executions.finished(id)).value, 'failed');
  const [task] = await taskExecutions(server, id);
  const logs = await server.cli('task-execution', 'logs', String(task!.id));
  assert.ok(
    logs.stdout.includes(`Error: check failed\n    at check (${join(dir, 'lib/check.ts')}:2:9)`),
    logs.stdout,
  );
});
