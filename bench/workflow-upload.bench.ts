/**
 * Upload time and function-task start time of the compiled package (what an installed `aiflow` runs), for this
 * tree and, to compare, other checkouts given with `--root` (each built: `npm run build`). Each tree is staged as
 * an installed package would be (`package.json`, `bin/`, `dist/` and its `node_modules`, no TypeScript sources:
 * in a checkout, `bin/aiflow.js` runs the sources, and so would the server's scheduler process). For each tree it
 * starts `aiflow server start` in its own process, then measures in interleaved rounds:
 *   - upload: wall time of `aiflow workflow upload flow.ts` as its own process (CLI start, bundling, the server's
 *     isolated load and the store);
 *   - function-task start: from the `workflowExecution.start` request to the first line of the task's function
 *     (a `Date.now()` it writes to a file): scheduling, the runner's start and the module's load.
 * The module imports only `aiflow-mqtt/workflow` and Node's built-ins, so a tree that uploads single files loads it.
 *
 *   npm run build && node --import tsx bench/workflow-upload.bench.ts [--runs 10] [--root <checkout> …]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SchedulerClient } from '../client/scheduler-client.ts';
import { installedEnv, timeNode } from './shared.ts';
import { spread } from './stats.ts';

const THIS_TREE = fileURLToPath(new URL('..', import.meta.url));
const POLL_MS = 10;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10' }, root: { type: 'string', multiple: true, default: [] } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const roots = [THIS_TREE, ...values.root.map((root) => resolve(root))];
for (const root of roots) {
  if (!existsSync(join(root, 'dist/cli/main.js')))
    throw new Error(`${root}: no dist/: run \`npm run build\` there`);
}

const env = installedEnv();
const work = mkdtempSync(join(tmpdir(), 'aiflow-upload-bench-'));

interface Tree {
  root: string;
  installed: string;
  server: ChildProcess;
  url: string;
  client: SchedulerClient;
  upload: number[];
  taskStart: number[];
}

/** A copy of the package as `npm install` lays it out, its dependencies linked. */
function stage(root: string, index: number): string {
  const installed = join(work, `installed-${index}`, 'node_modules', 'aiflow-mqtt');
  mkdirSync(installed, { recursive: true });
  for (const entry of ['package.json', 'bin', 'dist'])
    cpSync(join(root, entry), join(installed, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(installed, 'node_modules'), 'dir');
  return installed;
}

async function startTree(root: string, index: number): Promise<Tree> {
  const home = join(work, `home-${index}`);
  const installed = stage(root, index);
  const server = spawn(
    process.execPath,
    [join(installed, 'bin/aiflow.js'), 'server', 'start', '--port', '0', '--host', '127.0.0.1', '--no-ws'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, AIFLOW_HOME: home } },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    server.stdout!.on('data', seen);
    server.stderr!.on('data', seen);
    server.on('exit', (code) => reject(new Error(`${root}: the server exited with ${code}: ${output}`)));
  });
  return {
    root,
    installed,
    server,
    url,
    client: await SchedulerClient.connect({ server: url }),
    upload: [],
    taskStart: [],
  };
}

function writeModule(dir: string, stampFile: string): string {
  const file = join(dir, 'flow.ts');
  writeFileSync(
    file,
    [
      "import { writeFileSync } from 'node:fs';",
      "import { Workflow } from 'aiflow-mqtt/workflow';",
      "const workflow = new Workflow('bench_start');",
      `workflow.fn('stamp', async () => writeFileSync(${JSON.stringify(stampFile)}, String(Date.now())));`,
      'export default workflow;',
      '',
    ].join('\n'),
  );
  return file;
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function measureTaskStart(tree: Tree, stampFile: string): Promise<number> {
  rmSync(stampFile, { force: true });
  const requested = Date.now();
  const { id } = await tree.client.call('workflowExecution.start', {
    workflow: 'bench_start',
  });
  const stamp = await until(() => (existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : undefined));
  // The next round starts once this execution is over.
  await until(async () => {
    const { status } = await tree.client.call('workflowExecution.show', {
      workflowExecutionId: id,
    });
    return status === 'running' ? undefined : status;
  });
  return Number(stamp) - requested;
}

const trees: Tree[] = [];
try {
  for (const [index, root] of roots.entries()) trees.push(await startTree(root, index));
  // Interleaved rounds: a load change on the machine weighs on every tree alike.
  for (let round = 0; round < runs; round++) {
    for (const [index, tree] of trees.entries()) {
      const dir = join(work, `project-${index}`);
      rmSync(dir, { recursive: true, force: true });
      const stampFile = join(dir, 'stamp');
      mkdirSync(dir);
      const module = writeModule(dir, stampFile);
      tree.upload.push(
        await timeNode(
          [join(tree.installed, 'bin/aiflow.js'), 'workflow', 'upload', module, '--server', tree.url],
          env,
        ),
      );
      tree.taskStart.push(await measureTaskStart(tree, stampFile));
    }
    process.stderr.write(`round ${round + 1}/${runs}\n`);
  }
  const ms = (value: number) => `${Math.round(value)} ms`;
  const figures = (samples: number[]) => {
    const { min, median, max } = spread(samples);
    return `${ms(min)} / ${ms(median)} / ${ms(max)}`;
  };
  const [base, ...others] = trees;
  console.log('| tree | upload (min / median / max) | function-task start (min / median / max) |');
  console.log('| ---- | --------------------------- | ---------------------------------------- |');
  for (const tree of trees) {
    const name = tree === base ? 'this tree' : basename(tree.root);
    console.log(`| ${name} | ${figures(tree.upload)} | ${figures(tree.taskStart)} |`);
  }
  // How long this tree takes for each figure, as a multiple of the other tree's time (medians).
  for (const other of others) {
    const ratio = (ours: number[], theirs: number[]) =>
      (spread(ours).median / spread(theirs).median).toFixed(2);
    console.log(
      `\nthis tree / ${basename(other.root)} (medians): upload ${ratio(base!.upload, other.upload)}×, function-task start ${ratio(base!.taskStart, other.taskStart)}×`,
    );
  }
} finally {
  for (const tree of trees) {
    await tree.client.close();
    const exited = new Promise((resolve) => tree.server.once('exit', resolve));
    tree.server.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
}
