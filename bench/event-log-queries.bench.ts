// Query costs of the event log at 10k and 1M events, as ratios 1M / 10k (the target is within 3×).
// The logs are generated in the previous schema with one bulk transaction, then opened with the event log under
// test, which upgrades them; the open (upgrade, integrity check) is not timed.
//
//   node --import tsx bench/event-log-queries.bench.ts [--module <path to event-log.ts>] [--sizes 10000,1000000]
//
// `--module` measures another build of the log (e.g. the main checkout's) with the same workload.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Event } from '../protocol/event.ts';
import type { EventFilter } from '../protocol/rpc.ts';
import { writeLegacyLog } from '../test/legacy-event-log.ts';

/** The part of the log's API measured here; sync in the first release, async since. */
interface MeasuredLog {
  list(filter: EventFilter, limit?: number): Event[] | Promise<Event[]>;
  count(filter: EventFilter): { total: number } | Promise<{ total: number }>;
  timeToOffset(time?: number): number | Promise<number>;
  close(): void | Promise<void>;
}
interface LogModule {
  EventLog: { open(file: string, options: object): MeasuredLog | Promise<MeasuredLog> };
}

const T0 = 1_700_000_000_000;
const PAGE = 1000;
const CATCH_UP_EVENTS = 20_000;
const ROUNDS = 15;

const { values } = parseArgs({
  options: { module: { type: 'string' }, sizes: { type: 'string', default: '10000,1000000' } },
});
const modulePath = values.module
  ? resolve(values.module)
  : new URL('../broker/event-log.ts', import.meta.url).pathname;
const { EventLog } = (await import(modulePath)) as LogModule;
const sizes = values.sizes.split(',').map(Number);

type Figures = Record<string, number>;

/** One log of `size` events, generated in the previous schema and opened (upgraded) by the log under test. */
async function openGenerated(size: number, dir: string): Promise<MeasuredLog> {
  const file = join(dir, `log-${size}.db`);
  writeLegacyLog(file, size, T0);
  return EventLog.open(file, { durability: 'normal' });
}

/** The measured operations on a log of `size` events; each returns how much it did (1 for a single query). */
function workload(log: MeasuredLog, size: number): Record<string, () => Promise<number>> {
  const middle = Math.floor(size / 2);
  const once = (run: () => unknown) => async () => (await run(), 1);
  return {
    'count, all (ms)': once(() => log.count({})),
    'count, one namespace (ms)': once(() => log.count({ namespace: 'other' })),
    'count, last 1,000 offsets (ms)': once(() => log.count({ beginOffset: size - 1000 })),
    'list page, namespace, no key, mid-log (ms)': once(() =>
      log.list({ namespace: 'default', beginOffset: middle }, PAGE),
    ),
    'list page from offset 0, namespace (ms)': once(() => log.list({ namespace: 'default' }, PAGE)),
    'timeToOffset (ms)': once(() => log.timeToOffset(T0 + Math.floor(middle / 100))),
    // A listener of namespace `default` reading from offset 0, page after page.
    'catch-up, namespace, no key (events/s)': async () => {
      let after = 0;
      let read = 0;
      while (read < Math.min(CATCH_UP_EVENTS, size * 0.9)) {
        const page = await log.list({ namespace: 'default', beginOffset: after }, PAGE);
        if (page.length === 0) break;
        read += page.length;
        after = page[page.length - 1]!.offset;
      }
      return read;
    },
  };
}

/**
 * Runs every operation on every log, rounds interleaved across the logs so that a busy machine slows all sizes
 * alike; reports the median (ms per run, or items per second for the catch-up).
 */
async function measure(logs: Map<number, MeasuredLog>, rounds: number): Promise<Map<number, Figures>> {
  const workloads = new Map([...logs].map(([size, log]) => [size, workload(log, size)]));
  const samples = new Map([...logs.keys()].map((size) => [size, new Map<string, number[]>()]));
  const metrics = Object.keys(workloads.values().next().value!);
  for (const metric of metrics) {
    for (let round = -1; round < rounds; round++) {
      for (const [size, operations] of workloads) {
        const start = performance.now();
        const done = await operations[metric]!();
        const ms = performance.now() - start;
        if (round < 0) continue; // warm-up
        const value = metric.endsWith('(ms)') ? ms : done / (ms / 1000);
        const list = samples.get(size)!.get(metric) ?? [];
        list.push(value);
        samples.get(size)!.set(metric, list);
      }
    }
  }
  const medians = new Map<number, Figures>();
  for (const [size, bySize] of samples) {
    const figures: Figures = {};
    for (const [metric, values] of bySize)
      figures[metric] = values.sort((a, b) => a - b)[values.length >> 1]!;
    medians.set(size, figures);
  }
  return medians;
}

const dir = mkdtempSync(join(tmpdir(), 'aiflow-bench-log-'));
try {
  console.log(`event log: ${modulePath}`);
  const logs = new Map<number, MeasuredLog>();
  for (const size of sizes) logs.set(size, await openGenerated(size, dir));
  const results = await measure(logs, ROUNDS);
  for (const log of logs.values()) await log.close();
  const [small, large] = [results.get(sizes[0]!)!, results.get(sizes.at(-1)!)!];
  const rows = Object.keys(small).map((metric) => ({
    metric,
    [`${sizes[0]}`]: Number(small[metric]!.toFixed(3)),
    [`${sizes.at(-1)}`]: Number(large[metric]!.toFixed(3)),
    ratio: Number((large[metric]! / small[metric]!).toFixed(2)),
  }));
  console.table(rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
