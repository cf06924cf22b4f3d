// Query costs of the event log at 10k and 1M events, as ratios 1M / 10k (the target is within 3×).
// The logs are generated in the previous schema with one bulk transaction, then opened with the event log under
// test, which upgrades them; the open (upgrade, integrity check) is not timed.
//
//   node --import tsx bench/event-log-queries.bench.ts [--module <path to event-log.ts>] [--sizes 10000,1000000]
//
// `--module` measures another build of the log (e.g. the main checkout's) with the same workload.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
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
const CATCH_UP_EVENTS = 50_000;

const { values } = parseArgs({
  options: { module: { type: 'string' }, sizes: { type: 'string', default: '10000,1000000' } },
});
const modulePath = values.module
  ? resolve(values.module)
  : new URL('../broker/event-log.ts', import.meta.url).pathname;
const { EventLog } = (await import(modulePath)) as LogModule;
const sizes = values.sizes.split(',').map(Number);

/** Median milliseconds of `rounds` runs of `run` (after one warm-up). */
async function median(rounds: number, run: () => unknown): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

async function measure(size: number, dir: string): Promise<Record<string, number>> {
  const template = join(dir, `template-${size}.db`);
  writeLegacyLog(template, size, T0);
  const file = join(dir, `log-${size}.db`);
  copyFileSync(template, file);
  const log = await EventLog.open(file, { durability: 'normal' });
  const middle = Math.floor(size / 2);
  const midTime = T0 + Math.floor(middle / 100);
  const figures = {
    'count, all (ms)': await median(5, () => log.count({})),
    'count, one namespace (ms)': await median(5, () => log.count({ namespace: 'other' })),
    'list page, namespace, no key (ms)': await median(9, () =>
      log.list({ namespace: 'default', beginOffset: middle }, PAGE),
    ),
    'list page from offset 0, namespace (ms)': await median(9, () =>
      log.list({ namespace: 'default' }, PAGE),
    ),
    'count, last 1,000 offsets (ms)': await median(5, () => log.count({ beginOffset: size - 1000 })),
    'timeToOffset (ms)': await median(9, () => log.timeToOffset(midTime)),
    'catch-up, namespace, no key (events/s)': 0,
  };
  // A listener of namespace `default` reading from offset 0, page after page.
  const start = performance.now();
  let after = 0;
  let read = 0;
  while (read < Math.min(CATCH_UP_EVENTS, size * 0.9)) {
    const page = await log.list({ namespace: 'default', beginOffset: after }, PAGE);
    if (page.length === 0) break;
    read += page.length;
    after = page[page.length - 1]!.offset;
  }
  figures['catch-up, namespace, no key (events/s)'] = read / ((performance.now() - start) / 1000);
  await log.close();
  return figures;
}

const dir = mkdtempSync(join(tmpdir(), 'aiflow-bench-log-'));
try {
  console.log(`event log: ${modulePath}`);
  const results = new Map<number, Record<string, number>>();
  for (const size of sizes) results.set(size, await measure(size, dir));
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
