/**
 * Broker figures of `aiflow server start` beside raw Aedes and Mosquitto: ingest (msgs/s), delivery latency and
 * PUBACK latency at a fixed rate. Every target is its own process, started once; the rounds interleave them (the
 * order rotates each round), and a target is measured only once every target is idle again.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntilIdle } from './process-tree.ts';
import { fixed, int, ratioOf, ratioTarget, type Figure, type SectionResult, type Table } from './report.ts';
import { progress } from './shared.ts';
import { spread, type LatencySummary, type Spread } from './stats.ts';
import {
  findMosquitto,
  startAiflowServer,
  startMosquitto,
  startRawAedes,
  type Target,
  type TargetId,
} from './targets.ts';
import { measureLatency, measureThroughput, type LatencyResult, type ThroughputResult } from './workloads.ts';

export interface BrokerSettings {
  rounds: number;
  /** Events per ingest run. */
  events: number;
  /** Untimed events per target before the first round (JIT warm-up of the clients and the target). */
  warmupEvents: number;
  publishers: number;
  /** QoS 1 publishes each publisher keeps unacknowledged. */
  window: number;
  rate: number;
  rateSeconds: number;
}

export const BROKER_SETTINGS: Record<'full' | 'quick', BrokerSettings> = {
  full: {
    rounds: 3,
    events: 20_000,
    warmupEvents: 2_000,
    publishers: 4,
    window: 64,
    rate: 1_000,
    rateSeconds: 10,
  },
  quick: {
    rounds: 3,
    events: 3_000,
    warmupEvents: 500,
    publishers: 4,
    window: 64,
    rate: 1_000,
    rateSeconds: 2,
  },
};

interface RoundResult {
  round: number;
  ingest?: ThroughputResult;
  latency?: LatencyResult;
  error?: string;
}

interface TargetRow {
  id: TargetId;
  label: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  rounds: RoundResult[];
}

const IDLE = { maxShare: 0.05, windowMs: 300, timeoutMs: 120_000 };

async function measureRound(target: Target, settings: BrokerSettings, round: number): Promise<RoundResult> {
  const flood = { publishers: settings.publishers, window: settings.window, timeoutMs: 300_000 };
  try {
    const ingest = await measureThroughput(target.url, { ...flood, events: settings.events });
    await waitUntilIdle(target.pid, IDLE);
    const latency = await measureLatency(target.url, {
      rate: settings.rate,
      seconds: settings.rateSeconds,
      format: target.format,
      drainTimeoutMs: 120_000,
    });
    await waitUntilIdle(target.pid, IDLE);
    progress(
      `round ${round} ${target.label}: ${int(ingest.eventsPerSecond)} msgs/s; delivery p99 ` +
        `${fixed(latency.delivery.p99)} ms; PUBACK p50 ${fixed(latency.puback.p50)} p99 ${fixed(latency.puback.p99)} ms`,
    );
    return { round, ingest, latency };
  } catch (error) {
    const reason = (error as Error).message;
    progress(`round ${round} ${target.label}: FAILED: ${reason}`);
    return { round, error: reason };
  }
}

export async function brokerFigures(
  settings: BrokerSettings,
  dir: string,
  command: string,
): Promise<SectionResult> {
  const rows: TargetRow[] = [];
  const targets: Target[] = [];
  const starters: [TargetId, string, () => Promise<Target>][] = [
    ['raw-aedes', 'raw Aedes', startRawAedes],
    ['server', '`server start`', () => startAiflowServer(mkdtempSync(join(dir, 'server-')), true)],
    [
      'server-no-scheduler',
      '`server start --no-scheduler`',
      () => startAiflowServer(mkdtempSync(join(dir, 'server-alone-')), false),
    ],
  ];
  // `AIFLOW_BENCH_BASELINE=<another checkout>`: its `server start` too, measured in the same rounds (before/after).
  const baseline = process.env.AIFLOW_BENCH_BASELINE;
  if (baseline) {
    starters.push([
      'server-baseline',
      'baseline `server start`',
      () => startAiflowServer(mkdtempSync(join(dir, 'server-baseline-')), true, baseline),
    ]);
  }
  const mosquitto = findMosquitto();
  if ('path' in mosquitto)
    starters.splice(1, 0, ['mosquitto', 'Mosquitto', () => startMosquitto(mosquitto.path, dir)]);
  else
    rows.push({ id: 'mosquitto', label: 'Mosquitto', status: 'skipped', reason: mosquitto.skip, rounds: [] });
  try {
    for (const [id, label, start] of starters) {
      progress(`starting ${label}`);
      try {
        const target = await start();
        targets.push(target);
        rows.push({ id, label: target.label, status: 'ok', rounds: [] });
        progress(`${target.label}: warm-up, ${settings.warmupEvents} events`);
        await measureThroughput(target.url, {
          events: settings.warmupEvents,
          publishers: settings.publishers,
          window: settings.window,
          timeoutMs: 120_000,
        });
        await waitUntilIdle(target.pid, IDLE);
      } catch (error) {
        const reason = (error as Error).message;
        progress(`${label}: FAILED to start: ${reason}`);
        rows.push({ id, label, status: 'failed', reason, rounds: [] });
      }
    }
    for (let round = 1; round <= settings.rounds; round++) {
      progress(
        `round ${round} of ${settings.rounds}: ${int(settings.events)} events from ${settings.publishers} publishers, ` +
          `then ${settings.rate}/s for ${settings.rateSeconds} s, on each target`,
      );
      // Rotating the order each round spreads whatever drifts during a run (disk, other load) over every target.
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round - 1) % targets.length]!;
        const row = rows.find((r) => r.id === target.id)!;
        for (const t of targets) await waitUntilIdle(t.pid, IDLE);
        row.rounds.push(await measureRound(target, settings, round));
      }
    }
  } finally {
    for (const target of targets) await target.close();
  }
  for (const row of rows) {
    if (row.status === 'ok' && row.rounds.some((r) => r.error)) {
      row.status = 'failed';
      row.reason = row.rounds.find((r) => r.error)?.error;
    }
  }
  return summarizeRows(rows, settings, command);
}

function summarizeRows(rows: TargetRow[], settings: BrokerSettings, command: string): SectionResult {
  const of = (id: TargetId, pick: (r: RoundResult) => number | undefined): Spread | null => {
    const values = rows
      .find((r) => r.id === id)
      ?.rounds.map(pick)
      .filter((v): v is number => v !== undefined);
    return values && values.length > 0 ? spread(values) : null;
  };
  const ingest = (r: RoundResult) => r.ingest?.eventsPerSecond;
  const latency = (part: 'delivery' | 'puback', p: keyof LatencySummary) => (r: RoundResult) =>
    r.latency?.[part][p];
  const figure = (
    label: string,
    unit: string,
    pick: (r: RoundResult) => number | undefined,
    target?: ['at most' | 'at least', number],
  ): Figure => {
    const value = of('server', pick);
    const baseline = of('raw-aedes', pick);
    const ratio = ratioOf(value, baseline);
    return {
      label,
      subject: '`server start`',
      unit,
      value,
      baseline: { label: 'raw Aedes', value: baseline },
      ratio,
      ...(target ? { target: ratioTarget(ratio, ...target) } : {}),
      command,
    };
  };
  const rate = `${int(settings.rate)} ev/s`;
  const figures = [
    figure(`ingest, QoS 1 64 B, ${settings.publishers} publishers`, 'msgs/s', ingest, ['at least', 0.5]),
    figure(`delivery p99 at ${rate}`, 'ms', latency('delivery', 'p99'), ['at most', 3]),
    figure(`PUBACK p50 at ${rate}`, 'ms', latency('puback', 'p50')),
    figure(`PUBACK p99 at ${rate}`, 'ms', latency('puback', 'p99')),
  ];
  const median = (
    id: TargetId,
    pick: (r: RoundResult) => number | undefined,
    show: (n: number) => string,
  ) => {
    const s = of(id, pick);
    return s ? show(s.median) : 'n/a';
  };
  const aedesIngest = of('raw-aedes', ingest)?.median;
  const table: Table = {
    title:
      `Every target, median of ${settings.rounds} rounds (ingest: ${int(settings.events)} events, ` +
      `${settings.publishers} publishers x ${settings.window} in flight; latency: ${rate} for ${settings.rateSeconds} s)`,
    header: [
      'target',
      'msgs/s',
      'vs raw Aedes',
      'delivery p50 ms',
      'delivery p99 ms',
      'PUBACK p50 ms',
      'PUBACK p99 ms',
    ],
    rows: rows.map((row) => {
      if (row.status !== 'ok') return [row.label, `${row.status}: ${row.reason ?? ''}`];
      const eps = of(row.id, ingest)?.median;
      return [
        row.label,
        median(row.id, ingest, int),
        eps !== undefined && aedesIngest ? `${(eps / aedesIngest).toFixed(2)}×` : 'n/a',
        median(row.id, latency('delivery', 'p50'), fixed),
        median(row.id, latency('delivery', 'p99'), fixed),
        median(row.id, latency('puback', 'p50'), fixed),
        median(row.id, latency('puback', 'p99'), fixed),
      ];
    }),
  };
  const failures = rows.filter((r) => r.status === 'failed').map((r) => `${r.label}: ${r.reason ?? ''}`);
  return { figures, tables: [table], failures, data: { settings, targets: rows } };
}
