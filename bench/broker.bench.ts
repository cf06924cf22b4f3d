/**
 * Throughput and latency of our durable MQTT server against raw Aedes and Mosquitto, with identical MQTT.js
 * clients at QoS 1. See bench/README.md. Run: `npm run bench`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSystemOf, machineInfo } from './shared.ts';
import { findMosquitto, startMosquitto, startOurs, startRawAedes, type Target } from './targets.ts';
import {
  measureLatency,
  measureThroughput,
  TOPIC,
  type LatencyResult,
  type ThroughputResult,
} from './workloads.ts';

const CONFIG = {
  events: positiveEnv('BENCH_EVENTS', 20_000, Number.isSafeInteger),
  rateSeconds: positiveEnv('BENCH_RATE_SECONDS', 5, Number.isFinite),
  publishers: 4,
  window: 64,
  rate: 1_000,
  // Each target gets a short untimed flood first, so the first one measured does not pay for JIT warm-up alone.
  warmupEvents: 2_000,
  throughputRuns: 3,
  throughputTimeoutMs: 60_000,
  drainTimeoutMs: 10_000,
  topic: TOPIC,
  qos: 1,
};

// From the product spec; informational only.
const SPEC = { minThroughputVsAedes: 0.5, maxP99Ms: 5 };

type TargetId = 'raw-aedes' | 'mosquitto' | 'ours-full' | 'ours-normal';

interface Row {
  id: TargetId;
  label: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  /** The median of the throughput runs. */
  throughput?: ThroughputResult;
  throughputRuns?: ThroughputResult[];
  latency?: LatencyResult;
}

function positiveEnv(name: string, fallback: number, valid: (n: number) => boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!valid(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function measure(id: TargetId, label: string, start: () => Promise<Target>): Promise<Row> {
  let target: Target | undefined;
  try {
    progress(`${label}: starting`);
    target = await start();
    const flood = {
      publishers: CONFIG.publishers,
      window: CONFIG.window,
      timeoutMs: CONFIG.throughputTimeoutMs,
    };
    await measureThroughput(target.url, { ...flood, events: CONFIG.warmupEvents });
    progress(
      `${label}: throughput, ${CONFIG.throughputRuns} x ${CONFIG.events} events from ${CONFIG.publishers} publishers`,
    );
    const runs: ThroughputResult[] = [];
    for (let i = 0; i < CONFIG.throughputRuns; i++) {
      runs.push(await measureThroughput(target.url, { ...flood, events: CONFIG.events }));
    }
    // A run of 20,000 events lasts about a second, so one GC pause or fsync hiccup moves it: keep the median.
    const throughput = [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[runs.length >> 1]!;
    const all = runs.map((r) => Math.round(r.eventsPerSecond)).join(', ');
    progress(`${label}: median ${Math.round(throughput.eventsPerSecond)} events/s (runs: ${all})`);
    progress(`${label}: latency, ${CONFIG.rate} events/s for ${CONFIG.rateSeconds} s`);
    const latency = await measureLatency(target.url, {
      rate: CONFIG.rate,
      seconds: CONFIG.rateSeconds,
      format: target.format,
      drainTimeoutMs: CONFIG.drainTimeoutMs,
    });
    progress(
      `${label}: p50 ${ms(latency.p50)} p99 ${ms(latency.p99)} max ${ms(latency.max)} ms ` +
        `(pacer lag up to ${ms(latency.maxPacerLagMs)} ms)`,
    );
    return { id, label, status: 'ok', throughput, throughputRuns: runs, latency };
  } catch (error) {
    const reason = (error as Error).message;
    progress(`${label}: FAILED: ${reason}`);
    return { id, label, status: 'failed', reason };
  } finally {
    await target?.close();
  }
}

function mosquittoVersion(binary: string): string {
  // `mosquitto -h` prints "mosquitto version 2.0.11" and exits non-zero.
  const help = spawnSync(binary, ['-h'], { encoding: 'utf8' });
  return /version (\S+)/.exec(help.stdout)?.[1] ?? 'unknown version';
}

const ms = (value: number) => value.toFixed(2);
const times = (value: number) => `${value.toFixed(2)}x`;

function table(rows: Row[]): string {
  const lines = rows.map((row) => {
    if (!row.throughput || !row.latency) return [row.label, `${row.status}: ${row.reason ?? ''}`, '', '', ''];
    const { eventsPerSecond } = row.throughput;
    const { p50, p99, max } = row.latency;
    return [row.label, Math.round(eventsPerSecond).toLocaleString('en-US'), ms(p50), ms(p99), ms(max)];
  });
  const header = ['target', 'events/s', 'p50 ms', 'p99 ms', 'max ms'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [format(header), rule, ...lines.map(format)].join('\n');
}

type Verdict = 'PASS' | 'MISS' | 'n/a';

interface Comparison {
  lines: string[];
  ratios: Record<string, number | null>;
  spec: Record<string, Verdict>;
}

function compare(rows: Row[]): Comparison {
  const get = (id: TargetId) => rows.find((r) => r.id === id && r.status === 'ok');
  const ours = get('ours-full');
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? null : a / b;
  const eps = (row: Row | undefined) => row?.throughput?.eventsPerSecond;
  const p99 = (row: Row | undefined) => row?.latency?.p99;
  const ratios = {
    oursVsAedesThroughput: ratio(eps(ours), eps(get('raw-aedes'))),
    oursVsMosquittoThroughput: ratio(eps(ours), eps(get('mosquitto'))),
    oursVsAedesP99: ratio(p99(ours), p99(get('raw-aedes'))),
    oursVsMosquittoP99: ratio(p99(ours), p99(get('mosquitto'))),
    normalVsFullThroughput: ratio(eps(get('ours-normal')), eps(ours)),
  };
  const show = (value: number | null) => (value === null ? 'n/a' : times(value));
  const showP99 = (row: Row | undefined) => (p99(row) === undefined ? 'n/a' : `${ms(p99(row)!)} ms`);
  const verdict = (ok: boolean | undefined): Verdict => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
  const spec = {
    throughputVsAedes: verdict(
      ratios.oursVsAedesThroughput === null
        ? undefined
        : ratios.oursVsAedesThroughput >= SPEC.minThroughputVsAedes,
    ),
    p99AtRate: verdict(p99(ours) === undefined ? undefined : p99(ours)! < SPEC.maxP99Ms),
  };
  const lines = [
    `ours (full) / raw Aedes throughput:   ${show(ratios.oursVsAedesThroughput)}`,
    `ours (full) / Mosquitto throughput:   ${show(ratios.oursVsMosquittoThroughput)}`,
    `ours (full) p99 ${showP99(ours)} vs raw Aedes ${showP99(get('raw-aedes'))} ` +
      `(${show(ratios.oursVsAedesP99)}), vs Mosquitto ${showP99(get('mosquitto'))} (${show(ratios.oursVsMosquittoP99)})`,
    `ours (normal) / ours (full) throughput: ${show(ratios.normalVsFullThroughput)} (what fsync per commit costs)`,
    '',
    'Spec targets (informational):',
    `  ${spec.throughputVsAedes.padEnd(4)}  durable server >= ${SPEC.minThroughputVsAedes}x raw Aedes throughput: ` +
      show(ratios.oursVsAedesThroughput),
    `  ${spec.p99AtRate.padEnd(4)}  p99 < ${SPEC.maxP99Ms} ms at ${CONFIG.rate.toLocaleString('en-US')} events/s: ` +
      showP99(ours),
  ];
  return { lines, ratios, spec };
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const dir = mkdtempSync(join(os.tmpdir(), 'aiflow-bench-'));
  // Also on process.exit (a signal): the finally below does not run then.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  try {
    const dbFs = fileSystemOf(dir);
    progress(`db dir ${dir} (${dbFs}); ${os.cpus().length} CPUs; node ${process.version}`);
    if (dbFs === 'tmpfs') progress('WARNING: the db is on tmpfs, fsync costs nothing; set TMPDIR to a disk');

    const rows: Row[] = [];
    rows.push(await measure('raw-aedes', 'raw Aedes (in memory)', startRawAedes));
    const mosquitto = findMosquitto();
    if ('path' in mosquitto) {
      const label = `Mosquitto ${mosquittoVersion(mosquitto.path)} (own process)`;
      rows.push(await measure('mosquitto', label, () => startMosquitto(mosquitto.path, dir)));
    } else {
      progress(`Mosquitto: SKIPPED: ${mosquitto.skip}`);
      rows.push({ id: 'mosquitto', label: 'Mosquitto', status: 'skipped', reason: mosquitto.skip });
    }
    const db = (name: string) => join(dir, name);
    rows.push(await measure('ours-full', 'ours (durability full)', () => startOurs(db('full.db'), 'full')));
    rows.push(
      await measure('ours-normal', 'ours (durability normal, no fsync)', () =>
        startOurs(db('normal.db'), 'normal'),
      ),
    );

    const comparison = compare(rows);
    process.stdout.write(`${table(rows)}\n\n${comparison.lines.join('\n')}\n`);

    const results = {
      startedAt,
      machine: {
        ...machineInfo(),
        dbFileSystem: dbFs,
      },
      config: CONFIG,
      spec: SPEC,
      rows,
      ratios: comparison.ratios,
      verdicts: comparison.spec,
    };
    const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `broker-${startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    progress(`results written to ${file}`);
    // A target that could not be measured is a broken run; a missed spec target is not.
    if (rows.some((r) => r.status === 'failed')) process.exitCode = 1;
  } finally {
    removeDir();
  }
}

await main();
