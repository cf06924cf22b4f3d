/**
 * What the kind of idempotency id costs the event log's writer: batches of status-like events, each with an id,
 * written through the real `EventLogWriter` (a file with the log's schema, WAL, `synchronous=FULL`) on top of a log
 * that already holds `BENCH_EVENTS` events, with random (version 4) against time-ordered (version 7) ids, in
 * alternate rounds. Run: `node --import tsx bench/idempotency-ids.bench.ts` (`BENCH_EVENTS`, default 60,000; set
 * TMPDIR to a disk: on tmpfs a sync costs nothing).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareEventLogSchema } from '../broker/event-log-schema.ts';
import { EventLogWriter, type AppendInput } from '../broker/event-log-writer.ts';
import { randomId, timeOrderedId } from '../protocol/random-id.ts';
import { spread } from './stats.ts';

const BATCH = 200; // about one 48 KB status request
const existing = Number(process.env.BENCH_EVENTS ?? 60_000);
const measuredBatches = 50;
const rounds = 3;
const context = JSON.stringify({
  workflowExecutionId: 123456,
  task: 's',
  taskExecutionId: 654321,
  status: 'stopped',
});

function batch(id: () => string): AppendInput[] {
  return Array.from({ length: BATCH }, () => ({
    namespace: 'default',
    key: '$task/bench_wait/s',
    value: 'stopped',
    sender: 'scheduler',
    context,
    idempotencyId: id(),
  }));
}

/** Milliseconds per batch, on a new log of `existing` events made with the same kind of id. */
function msPerBatch(id: () => string): number {
  const dir = mkdtempSync(join(tmpdir(), 'aiflow-ids-'));
  try {
    const file = join(dir, 'events.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    prepareEventLogSchema(db, file);
    const writer = new EventLogWriter(db);
    for (let n = 0; n < existing; n += BATCH) writer.write(batch(id));
    const start = performance.now();
    for (let i = 0; i < measuredBatches; i++) writer.write(batch(id));
    const ms = (performance.now() - start) / measuredBatches;
    db.close();
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const random: number[] = [];
const ordered: number[] = [];
for (let round = 1; round <= rounds; round++) {
  random.push(msPerBatch(randomId));
  ordered.push(msPerBatch(timeOrderedId));
  console.error(
    `round ${round} of ${rounds}: random ${random.at(-1)!.toFixed(2)} ms, time-ordered ${ordered.at(-1)!.toFixed(2)} ms per batch`,
  );
}
const r = spread(random);
const o = spread(ordered);
console.log(
  `# Idempotency ids: one ${BATCH}-event commit on a log of ${existing.toLocaleString('en')} events (ms, ${rounds} rounds)\n`,
);
console.log('| ids | min / median / max | µs per event |');
console.log('|---|---:|---:|');
for (const [name, s] of [
  ['random (version 4)', r],
  ['time-ordered (version 7)', o],
] as const) {
  console.log(
    `| ${name} | ${s.min.toFixed(2)} / **${s.median.toFixed(2)}** / ${s.max.toFixed(2)} | ${((s.median * 1000) / BATCH).toFixed(1)} |`,
  );
}
console.log(`\nrandom ÷ time-ordered (medians): ${(r.median / o.median).toFixed(2)}×`);
