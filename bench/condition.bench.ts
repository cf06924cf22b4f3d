/**
 * Custom conditions against built-in ones, in one run: (a) the start of a condition sandbox process, plain
 * JavaScript (what the scheduler runs) against the same module through the TypeScript loader (what it ran
 * before); (b) warm evaluation latency of a built-in condition, of one custom condition (one round trip to the
 * sandbox) and of custom conditions in batches (one round trip per batch). Run:
 * `node --import tsx bench/condition.bench.ts` (`BENCH_COLD_ROUNDS`, `BENCH_EVALUATIONS`, `BENCH_BATCH`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Event } from '../protocol/event.ts';
import { sandboxEntry, snapshotBundle } from '../scheduler/condition-sandbox-bundle.ts';
import { ConditionSandbox, type SandboxEvaluation } from '../scheduler/condition-sandbox.ts';
import { SandboxWorker } from '../scheduler/condition-sandbox-worker.ts';
import { isMet, type EvaluationScope } from '../scheduler/conditions.ts';
import { snapshotModule } from '../scheduler/snapshot-files.ts';
import { machineInfo } from './shared.ts';
import { summarize, type LatencySummary } from './stats.ts';

const CONFIG = {
  coldRounds: positiveEnv('BENCH_COLD_ROUNDS', 5),
  evaluations: positiveEnv('BENCH_EVALUATIONS', 2_000),
  batch: positiveEnv('BENCH_BATCH', 100),
};

const SOURCE = `
import { Condition, TaskAction, Workflow } from 'aiflow-mqtt/workflow';
class IsEven extends Condition {
  isMet(event) { return Number(event.value) % 2 === 0; }
}
export const bench = new Workflow('bench');
bench.bash('even', 'true').actionOnCondition(TaskAction.START, new IsEven(['n']));
`;
const SNAPSHOT = { id: 1, fileName: 'bench.ts', source: SOURCE };

const event = (value: string): Event => ({
  offset: 1,
  key: 'n',
  value,
  namespace: 'default',
  sender: 'bench',
  context: null,
  createTime: 0,
});
const evaluation = (value: string): SandboxEvaluation => ({
  workflow: 'bench',
  path: 'even/0',
  event: event(value),
  states: {},
  taskStatuses: {},
});

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'aiflow-condition-bench-'));
  try {
    const bundling = performance.now();
    const files = {
      entry: await sandboxEntry(dataDir),
      moduleBundle: await snapshotBundle(dataDir, SNAPSHOT),
    };
    const bundleMs = performance.now() - bundling;
    const source = snapshotModule(dataDir, SNAPSHOT);
    const plain: number[] = [];
    const tsx: number[] = [];
    for (let round = 0; round < CONFIG.coldRounds; round++) {
      plain.push(await startPlain(files));
      tsx.push(await startWithTsx(source));
    }
    const builtin = builtinLatencies(CONFIG.evaluations);
    const sandbox = new ConditionSandbox({ timeoutMs: 10_000 });
    try {
      const target = { dataDir, snapshot: SNAPSHOT };
      await sandbox.evaluate(target, evaluation('0')); // started and warm
      for (let i = 0; i < 200; i++) await sandbox.evaluate(target, evaluation(String(i))); // JIT warm-up
      const single: number[] = [];
      for (let i = 0; i < CONFIG.evaluations; i++) {
        const start = performance.now();
        await sandbox.evaluate(target, evaluation(String(i)));
        single.push(performance.now() - start);
      }
      const perEvaluationInBatch: number[] = [];
      const batch = Array.from({ length: CONFIG.batch }, (_, i) => evaluation(String(i)));
      for (let i = 0; i < Math.max(200, CONFIG.evaluations / CONFIG.batch); i++) {
        const start = performance.now();
        await sandbox.evaluateMany(target, batch);
        perEvaluationInBatch.push((performance.now() - start) / CONFIG.batch);
      }
      const cold = { plain: summarize(plain), tsx: summarize(tsx) };
      const warm = {
        builtin: summarize(builtin),
        alone: summarize(single),
        batched: summarize(perEvaluationInBatch),
      };
      const table = (rows: [string, LatencySummary][]) => [
        `| ${'measurement'.padEnd(52)} | ${'n'.padStart(5)} | ${'p50 ms'.padStart(8)} | ${'p99 ms'.padStart(8)} | ${'max ms'.padStart(8)} |`,
        `|${'-'.repeat(54)}|${'-'.repeat(7)}|${'-'.repeat(10)}|${'-'.repeat(10)}|${'-'.repeat(10)}|`,
        ...rows.map(
          ([name, s]) =>
            `| ${name.padEnd(52)} | ${String(s.count).padStart(5)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`,
        ),
      ];
      const ratio = (a: LatencySummary, b: LatencySummary) =>
        `p50 ${(a.p50 / b.p50).toFixed(1)}x, p99 ${(a.p99 / b.p99).toFixed(1)}x`;
      console.log(
        [
          `machine: ${JSON.stringify({ ...machineInfo(), loadAverage: os.loadavg() })}`,
          '',
          '(a) Sandbox process start, until its workflow module is loaded',
          ...table([
            ['plain node on the bundled module (what runs now)', cold.plain],
            ['node --import tsx on the TypeScript module (before)', cold.tsx],
          ]),
          `bundling the entry and the module, once per snapshot and scheduler run: ${bundleMs.toFixed(0)} ms`,
          '',
          '(b) Warm evaluation, one `IsEven` custom condition against a built-in `event` condition',
          ...table([
            ["built-in condition, in the scheduler's process", warm.builtin],
            ['custom condition, alone (one round trip)', warm.alone],
            [`custom condition, per evaluation in batches of ${CONFIG.batch}`, warm.batched],
          ]),
          '',
          `custom alone / built-in:      ${ratio(warm.alone, warm.builtin)}`,
          `custom in a batch / built-in: ${ratio(warm.batched, warm.builtin)}`,
        ].join('\n'),
      );
    } finally {
      await sandbox.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Start to ready of the sandbox process as the scheduler starts it: plain `node` on bundled JavaScript. */
async function startPlain(files: { entry: string; moduleBundle: string }): Promise<number> {
  const start = performance.now();
  const worker = new SandboxWorker(files, 10_000);
  await worker.ready;
  const elapsed = performance.now() - start;
  worker.kill();
  await worker.exited;
  return elapsed;
}

/** Start to module loaded, for the same module through the TypeScript loader. */
async function startWithTsx(source: string): Promise<number> {
  const start = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(source).href)}); console.log('ready');`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the tsx process exited with code ${code}`)));
  });
  const elapsed = performance.now() - start;
  child.kill('SIGKILL');
  return elapsed;
}

/** The same decision as the custom condition, made by a built-in `event` condition in the scheduler's process. */
function builtinLatencies(count: number): number[] {
  const scope: EvaluationScope = {
    workflow: 'bench',
    taskStatus: () => undefined,
    getState: () => undefined,
    setState: () => undefined,
    custom: () => Promise.resolve(false),
  };
  const samples: number[] = [];
  for (let i = 0; i < count + 200; i++) {
    const start = performance.now();
    void isMet({ type: 'event', key: 'n', value: '0' }, event(String(i)), scope);
    if (i >= 200) samples.push(performance.now() - start);
  }
  return samples;
}

const ms = (value: number) => value.toFixed(3).padStart(8);

function positiveEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be an integer > 0`);
  return value;
}

await main();
