/**
 * Diagnosis: the scheduler's engine alone (no MQTT, no processes) on one event reaching N waiting executions, the
 * work behind the fan-out figure of `npm run bench:scheduler`. A real SQLite store in a temporary directory; an
 * executor that keeps every task waiting for a process slot. Per round: N executions of `bench_wait` are started,
 * then the time of the `wake` input (the decision for N executions and its commit) and of the N status events it
 * emits coming back as events (what the scheduler handles while its status requests travel). Rounds run in one
 * process, so the first one is the cold start of that code; min / median / max over the rounds, beside N=1 in the
 * same run.
 *
 *   node --import tsx bench/engine-reaction.bench.ts [--executions N] [--rounds R]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../broker/logger.ts';
import type { Event } from '../protocol/event.ts';
import { SYSTEM_CLOCK } from '../scheduler/clock.ts';
import { SchedulerEngine } from '../scheduler/engine/engine.ts';
import type { TaskRunner } from '../scheduler/engine/ports.ts';
import type { OutboxRecord } from '../scheduler/store/records.ts';
import { SqliteMetadataStore } from '../scheduler/store/sqlite-metadata-store.ts';
import { toSpec } from '../workflow/index.ts';
import { spread, type Spread } from './stats.ts';
import waitWorkflow, { WAKE_KEY } from './workflows/wait.ts';

const { values: args } = parseArgs({
  options: { executions: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '7' } },
});

/** Every task stays queued: a STOP takes it back, as the local executor does for a task beyond its process limit. */
class WaitingRunner implements TaskRunner {
  readonly #waiting = new Set<number>();
  async submit(request: { taskExecutionId: number }): Promise<void> {
    this.#waiting.add(request.taskExecutionId);
  }
  async stop(): Promise<void> {}
  async adopt(): Promise<void> {}
  withdraw(runId: number): boolean {
    return this.#waiting.delete(runId);
  }
}

interface Timings {
  decision: Spread;
  statusesBack: Spread;
}

async function measure(n: number, rounds: number): Promise<Timings> {
  const dir = mkdtempSync(join(tmpdir(), 'aiflow-engine-reaction-'));
  const store = SqliteMetadataStore.open(join(dir, 'metadata.db'));
  const published: OutboxRecord[] = [];
  const engine = new SchedulerEngine({
    store,
    runner: new WaitingRunner(),
    conditions: { evaluate: () => Promise.reject(new Error('no custom condition in this workflow')) },
    clock: SYSTEM_CLOCK,
    logger: createLogger('error', () => undefined),
    dataDir: dir,
    server: 'mqtt://127.0.0.1:1',
    publish: (outbox) => published.push(...outbox),
  });
  let offset = 0;
  const asEvent = (record: { key: string; value: string; context: string | null }): Event => ({
    offset: ++offset,
    namespace: 'default',
    sender: 'aiflow-scheduler',
    createTime: Date.now(),
    ...record,
  });
  // The events of the log arrive in pages: the feed carries at most 500 per message.
  const comeBack = async (records: OutboxRecord[]) => {
    for (let i = 0; i < records.length; i += 500) await engine.events(records.slice(i, i + 500).map(asEvent));
  };
  try {
    await engine.load();
    const { workflow } = await store.saveUpload({
      fileName: 'wait.ts',
      source: '',
      spec: toSpec(waitWorkflow),
    });
    const decision: number[] = [];
    const statusesBack: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < n; i++) await engine.request('start', (s) => s.startExecution(workflow, 'manual'));
      await comeBack(published.splice(0)); // the statuses of the starts: tasks queued
      const t0 = performance.now();
      await engine.events([asEvent({ key: WAKE_KEY, value: 'now', context: null })]);
      const t1 = performance.now();
      await comeBack(published.splice(0)); // tasks stopped: the executions settle
      const t2 = performance.now();
      await comeBack(published.splice(0)); // executions stopped: nothing left to do
      decision.push(t1 - t0);
      statusesBack.push(t2 - t1);
    }
    return { decision: spread(decision), statusesBack: spread(statusesBack) };
  } finally {
    await engine.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const n = Number(args.executions);
const rounds = Number(args.rounds);
const one = await measure(1, rounds);
const many = await measure(n, rounds);
const row = (label: string, s: Spread, base: Spread) =>
  `| ${label} | ${s.min.toFixed(2)} / **${s.median.toFixed(2)}** / ${s.max.toFixed(2)} | ` +
  `${(s.median / base.median).toFixed(0)}× | ${((s.median * 1000) / n).toFixed(1)} |`;
console.log(`# The engine alone: one event to N waiting executions (${rounds} rounds, ms)\n`);
console.log(`| N=${n} | min / median / max | ÷ N=1 (median) | µs per execution |`);
console.log('|---|---:|---:|---:|');
console.log(row('decision (the event, its commit)', many.decision, one.decision));
console.log(row('its status events coming back', many.statusesBack, one.statusesBack));
