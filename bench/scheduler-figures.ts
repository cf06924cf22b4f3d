/**
 * Scheduler figures of `aiflow server start` (its own process, a fresh home), through the SDK and plain MQTT
 * clients only: the MQTT round trip on that server, a 40-task bash chain, one event to N waiting executions, and
 * the server's memory per live execution.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchedulerClient } from '../client/scheduler-client.ts';
import { chainRun, roundTrips, type ChainRun, type RoundTrips } from './chain.ts';
import { fanOut, type FanOutResult, type FanOutSettings } from './fan-out.ts';
import {
  amount,
  fixed,
  ratioOf,
  ratioTarget,
  type Figure,
  type SectionResult,
  type Table,
} from './report.ts';
import { progress, sleep } from './shared.ts';
import { spread, type LatencySummary, type Spread } from './stats.ts';
import { startAiflowServer, type Target } from './targets.ts';
import chainWorkflow from './workflows/chain.ts';

export interface SchedulerSettings {
  /** Sequential round trips per kind (plain MQTT message, durable event). */
  roundTrips: number;
  chainRounds: number;
  /** Waiting executions per fan-out run, and how many runs of each. */
  fanOut: { executions: number; rounds: number }[];
  fanOutSettings: FanOutSettings;
}

const FULL: SchedulerSettings = {
  roundTrips: 200,
  chainRounds: 3,
  fanOut: [
    { executions: 1, rounds: 5 },
    { executions: 1_000, rounds: 3 },
    { executions: 10_000, rounds: 1 },
  ],
  fanOutSettings: {
    startWindow: 8,
    probeRate: 100,
    probeIdleSeconds: 3,
    reactMsPerExecution: 50,
    maxReactMs: 300_000,
  },
};

export const SCHEDULER_SETTINGS: Record<'full' | 'quick', SchedulerSettings> = {
  full: FULL,
  // N=10,000 takes minutes to start on a 2-core machine: the quick run stops at 1,000.
  quick: {
    ...FULL,
    roundTrips: 50,
    fanOut: [
      { executions: 1, rounds: 3 },
      { executions: 1_000, rounds: 1 },
    ],
    fanOutSettings: { ...FULL.fanOutSettings, probeIdleSeconds: 2 },
  },
};

const WORKFLOW_FILES = ['chain.ts', 'wait.ts'];

/** The SDK, once the server's scheduler answers (it may still be starting when the port opens). */
async function connectScheduler(server: Target): Promise<SchedulerClient> {
  const rpc = await SchedulerClient.connect({
    server: server.url,
    requestTimeoutMs: 600_000,
    ...(server.admin ? { credentials: server.admin } : {}),
  });
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      await rpc.call('namespace.list', {});
      return rpc;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SCHEDULER_NOT_RUNNING' || performance.now() > deadline) {
        await rpc.close();
        throw error;
      }
      await sleep(200);
    }
  }
}

export async function schedulerFigures(
  settings: SchedulerSettings,
  dir: string,
  command: string,
): Promise<SectionResult> {
  const failures: string[] = [];
  const attempt = async <T>(what: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      const reason = `${what}: ${(error as Error).message}`;
      progress(`FAILED: ${reason}`);
      failures.push(reason);
      return undefined;
    }
  };
  let trips: RoundTrips | undefined;
  const chains: ChainRun[] = [];
  const fanOuts: FanOutResult[] = [];
  progress('starting `server start` for the scheduler figures');
  const server: Target | undefined = await attempt('server start', () =>
    startAiflowServer(mkdtempSync(join(dir, 'scheduler-')), true),
  );
  if (server) {
    try {
      const rpc = await attempt('SDK connection', () => connectScheduler(server));
      try {
        if (rpc) {
          for (const file of WORKFLOW_FILES) {
            const source = readFileSync(new URL(`./workflows/${file}`, import.meta.url), 'utf8');
            await rpc.call('workflow.upload', { fileName: file, source });
          }
          progress(
            `round trips: ${settings.roundTrips} plain MQTT messages and ${settings.roundTrips} events`,
          );
          trips = await attempt('round trips', () => roundTrips(server.url, settings.roundTrips));
          for (let round = 1; round <= settings.chainRounds; round++) {
            const run = await attempt(`chain round ${round}`, () => chainRun(server.url, rpc));
            if (run) {
              chains.push(run);
              progress(
                `chain round ${round}: ${(run.totalMs / 1000).toFixed(2)} s; hop p50 ${fixed(run.hop.p50)} ms ` +
                  `(decision p50 ${fixed(run.decision.p50)} ms)`,
              );
            }
          }
          for (const { executions, rounds } of settings.fanOut) {
            for (let round = 1; round <= rounds; round++) {
              const result = await attempt(`fan-out N=${executions} round ${round}`, () =>
                fanOut(server.url, server.pid, rpc, executions, settings.fanOutSettings),
              );
              if (result) fanOuts.push(result);
              if (result?.error) failures.push(`fan-out N=${executions} round ${round}: ${result.error}`);
            }
          }
        }
      } finally {
        await rpc?.close();
      }
    } finally {
      await server.close();
    }
  }
  return schedulerSummary({ settings, trips, chains, fanOuts, failures, command });
}

function schedulerSummary(r: {
  settings: SchedulerSettings;
  trips: RoundTrips | undefined;
  chains: ChainRun[];
  fanOuts: FanOutResult[];
  failures: string[];
  command: string;
}): SectionResult {
  const { trips, chains, fanOuts, command } = r;
  const spreadOf = (values: number[]): Spread | null => {
    const finite = values.filter(Number.isFinite);
    return finite.length > 0 ? spread(finite) : null;
  };
  const runsOf = (n: number) => fanOuts.filter((f) => f.executions === n);
  const react = (n: number) => spreadOf(runsOf(n).map((f) => f.reactMs));
  const subject = (n: number) => `${n.toLocaleString('en-US')} waiting execution${n === 1 ? '' : 's'}`;
  const one = react(1);
  const figures: Figure[] = [];
  for (const { executions: n } of r.settings.fanOut) {
    const value = react(n);
    const ratio = n === 1 ? null : ratioOf(value, one);
    const allReacted = runsOf(n).length > 0 && runsOf(n).every((f) => f.reacted === f.executions);
    figures.push({
      label: 'one event: publish → all reacted',
      subject: subject(n),
      unit: 'ms',
      value,
      ...(n === 1 ? {} : { baseline: { label: 'N=1', value: one } }),
      ratio,
      ...(n === 1_000 ? { target: ratioTarget(ratio, 'at most', 20) } : {}),
      ...(n >= 10_000
        ? { target: { text: 'all react', met: runsOf(n).length > 0 ? allReacted : null } }
        : {}),
      command,
    });
  }
  const largest = Math.max(...r.settings.fanOut.map((f) => f.executions));
  const big = runsOf(largest);
  const during = spreadOf(big.map((f) => f.pubackDuring.latency.p99));
  const idle = spreadOf(big.map((f) => f.pubackIdle.latency.p99));
  const pubackRatio = ratioOf(during, idle);
  figures.push({
    label: `PUBACK p99 at ${r.settings.fanOutSettings.probeRate} ev/s while N react`,
    subject: subject(largest),
    unit: 'ms',
    value: during,
    baseline: { label: 'idle', value: idle },
    ratio: pubackRatio,
    ...(largest >= 10_000 ? { target: ratioTarget(pubackRatio, 'at most', 10) } : {}),
    command,
  });
  const hop = spreadOf(chains.map((c) => c.hop.p50));
  const rt = trips ? spread([trips.mqtt.p50]) : null;
  figures.push({
    label: '40-task bash chain, per hop median',
    subject: '`bench_chain`',
    unit: 'ms',
    value: hop,
    baseline: { label: 'MQTT round trip p50', value: rt },
    ratio: ratioOf(hop, rt),
    target: { text: '≤ 50 ms', met: hop ? hop.median <= 50 : null },
    command,
  });
  const rss = spreadOf(big.map((f) => f.rssPerExecution / 1024));
  figures.push({
    label: 'server RSS per live execution',
    subject: subject(largest),
    unit: 'KB',
    value: rss,
    ratio: null,
    target: { text: '< 10 KB', met: rss ? rss.median < 10 : null },
    command,
  });

  const tables: Table[] = [];
  if (trips) {
    tables.push({
      title: 'Round trips on the same server (client clock)',
      header: ['measurement', 'n', 'p50 ms', 'p99 ms', 'max ms'],
      rows: [
        ['plain MQTT message (not stored)', trips.mqtt],
        ['event (stored, then delivered)', trips.event],
      ].map(([label, s]) => [
        label as string,
        String((s as LatencySummary).count),
        ...[(s as LatencySummary).p50, (s as LatencySummary).p99, (s as LatencySummary).max].map((v) =>
          fixed(v),
        ),
      ]),
    });
  }
  tables.push({
    title: `${chainWorkflow.tasks.length}-task chain, each round (server clock per hop)`,
    header: ['round', 'total s', 'hop p50 ms', 'hop p99 ms', 'decision p50 ms', 'decision p99 ms'],
    rows: chains.map((c, i) => [
      String(i + 1),
      fixed(c.totalMs / 1000),
      fixed(c.hop.p50),
      fixed(c.hop.p99),
      fixed(c.decision.p50),
      fixed(c.decision.p99),
    ]),
  });
  tables.push({
    title: 'One event to N waiting executions, each run',
    header: [
      'N',
      'start s',
      'reacted',
      'react s',
      'wake → first stored ms',
      'first → last stored ms',
      'last stored → received ms',
      'PUBACK p99 idle ms',
      'PUBACK p99 during ms',
      'RSS KB/exec',
    ],
    rows: fanOuts.map((f) => [
      f.executions.toLocaleString('en-US'),
      fixed(f.startMs / 1000),
      `${f.reacted} of ${f.executions}`,
      fixed(f.reactMs / 1000),
      amount(f.phasesMs.firstStored),
      amount(f.phasesMs.allStored),
      amount(f.phasesMs.lastReceived),
      fixed(f.pubackIdle.latency.p99),
      `${fixed(f.pubackDuring.latency.p99)}${f.pubackDuring.unacked > 0 ? ` (${f.pubackDuring.unacked} unacked)` : ''}`,
      amount(f.rssPerExecution / 1024),
    ]),
  });
  return {
    figures,
    tables,
    failures: r.failures,
    data: { settings: r.settings, roundTrips: trips, chains, fanOuts },
  };
}
