/**
 * One event to N waiting executions: N executions of `bench_wait` are started through the SDK, then one `wake`
 * event is published; the time runs until every execution has reacted (a status event of its task `s` other than
 * `queued` / `running`). Meanwhile a probe publishes events at a fixed rate and times their PUBACKs, beside the
 * same probe on the idle server just before. The server's RSS before and after the starts gives its memory per
 * live execution.
 */
import type { SchedulerClient } from '../client/scheduler-client.ts';
import { eventTopic } from '../protocol/topics.ts';
import { treeRss, waitUntilIdle } from './process-tree.ts';
import { Changes, progress, RawClients, sleep } from './shared.ts';
import { watchStatuses, type Status } from './status-watch.ts';
import { pubackProbe, type ProbeResult } from './workloads.ts';
import waitWorkflow, { WAKE_KEY } from './workflows/wait.ts';

export interface FanOutSettings {
  /** Requests `workflowExecution.start` kept in flight. */
  startWindow: number;
  /** PUBACK probe: events per second, and seconds of it on the idle server. */
  probeRate: number;
  probeIdleSeconds: number;
  /** Time allowed for the reaction, per waiting execution, on top of one minute; and the largest it may be. */
  reactMsPerExecution: number;
  maxReactMs: number;
}

export interface FanOutResult {
  executions: number;
  /** First start request → every execution's task `s` seen queued or running. */
  startMs: number;
  /** `wake` published → the last execution's reaction received (client clock). */
  reactMs: number;
  reacted: number;
  /**
   * Where the reaction's time went, from the status events' `createTime` (server clock; this machine's clock is
   * the same): `wake` published → first reaction stored, first → last reaction stored, last stored → received.
   */
  phasesMs: { firstStored: number; allStored: number; lastReceived: number };
  /**
   * Server RSS growth per waiting execution (bytes), between the reads after a tenth and after all of the starts
   * (the server idle both times); NaN below 10 executions.
   */
  rssPerExecution: number;
  rssFirst: number;
  rssAll: number;
  pubackIdle: ProbeResult;
  pubackDuring: ProbeResult;
  /** Set when not every execution reacted in time. */
  error?: string;
}

const NS = 'default';
const PROBE_TOPIC = eventTopic(NS, 'bench/probe');
const IDLE = { maxShare: 0.05, windowMs: 300, timeoutMs: 300_000 };
const WAITING = new Set(['queued', 'running']);

export async function fanOut(
  url: string,
  serverPid: number,
  rpc: SchedulerClient,
  n: number,
  settings: FanOutSettings,
): Promise<FanOutResult> {
  const clients = new RawClients();
  const ours = new Set<number>();
  const waiting = new Set<number>();
  const reacted = new Map<number, number>(); // execution → when its reaction arrived
  const storedAt = { first: Infinity, last: -Infinity }; // createTime of the reactions (server clock)
  const early = new Map<number, Status[]>(); // statuses of executions whose start reply has not come yet
  const changes = new Changes();
  const apply = (executionId: number, value: string, at: number, createTime: number) => {
    if (WAITING.has(value)) waiting.add(executionId);
    else if (!reacted.has(executionId)) {
      reacted.set(executionId, at);
      storedAt.first = Math.min(storedAt.first, createTime);
      storedAt.last = Math.max(storedAt.last, createTime);
    }
  };
  try {
    const watcher = await clients.connect(url, 'status');
    await watchStatuses(watcher, NS, waitWorkflow.name, (status) => {
      if (status.task !== 's') return;
      if (ours.has(status.executionId)) apply(status.executionId, status.value, status.at, status.createTime);
      else early.set(status.executionId, [...(early.get(status.executionId) ?? []), status]);
      changes.notify();
    });
    const prober = await clients.connect(url, 'probe');
    const waker = await clients.connect(url, 'wake');

    progress(`fan-out N=${n}: starting ${n} executions of ${waitWorkflow.name}`);
    const t0 = performance.now();
    let requested = 0;
    // Starts executions until `upTo` are started and each one's `s` is seen queued or running.
    const startUpTo = async (upTo: number) => {
      const startOne = async (): Promise<void> => {
        while (requested < upTo) {
          requested += 1;
          const { id } = await rpc.call('workflowExecution.start', {
            namespace: NS,
            workflow: waitWorkflow.name,
          });
          ours.add(id);
          for (const status of early.get(id) ?? []) apply(id, status.value, status.at, status.createTime);
          early.delete(id);
          if (ours.size % 1000 === 0) progress(`fan-out N=${n}: ${ours.size} started`);
        }
      };
      await clients.race(Promise.all(Array.from({ length: settings.startWindow }, startOne)));
      await clients.race(
        changes.until(
          () => (waiting.size >= upTo ? true : undefined),
          60_000 + upTo * 30,
          () => `task s queued in ${upTo} executions (${waiting.size} seen)`,
        ),
      );
      await waitUntilIdle(serverPid, IDLE);
      return treeRss(serverPid);
    };
    // Memory is read after a tenth of the executions and after all of them: by then every process slot of the
    // scheduler runs an `s`, so the task processes are the same at both reads and drop out of the difference.
    const first = Math.floor(n / 10);
    const rssFirst = await startUpTo(first);
    const rssAll = await startUpTo(n);
    const startMs = performance.now() - t0;
    const rssPerExecution = first > 0 ? (rssAll - rssFirst) / (n - first) : Number.NaN;
    progress(
      `fan-out N=${n}: started in ${(startMs / 1000).toFixed(1)} s; server RSS ` +
        `${(rssAll / 1024 / 1024).toFixed(1)} MB; PUBACK probe on the idle server`,
    );

    const idleProbe = pubackProbe(prober, PROBE_TOPIC, settings.probeRate, Infinity, String);
    await sleep(settings.probeIdleSeconds * 1000);
    const pubackIdle = idleProbe.stop();

    progress(`fan-out N=${n}: publishing ${WAKE_KEY}`);
    const probe = pubackProbe(prober, PROBE_TOPIC, settings.probeRate, Infinity, String);
    const wokeAt = performance.now();
    const wokeAtWall = Date.now();
    waker.publish(eventTopic(NS, WAKE_KEY), 'now', { qos: 1 });
    const timeoutMs = Math.min(settings.maxReactMs, 60_000 + n * settings.reactMsPerExecution);
    let error: string | undefined;
    const report = setInterval(() => progress(`fan-out N=${n}: ${reacted.size} reacted`), 10_000);
    try {
      await clients.race(
        changes.until(
          () => (reacted.size >= n ? true : undefined),
          timeoutMs,
          () => `the reaction of ${n} executions (${reacted.size} reacted)`,
        ),
      );
    } catch (failure) {
      error = (failure as Error).message;
    } finally {
      clearInterval(report);
    }
    const pubackDuring = probe.stop();
    const lastReceived = Math.max(...reacted.values());
    const reactMs = lastReceived - wokeAt;
    const phasesMs = {
      firstStored: storedAt.first - wokeAtWall,
      allStored: storedAt.last - storedAt.first,
      lastReceived: reactMs - (storedAt.last - wokeAtWall),
    };
    progress(
      `fan-out N=${n}: ${reacted.size} of ${n} reacted in ${(reactMs / 1000).toFixed(2)} s; PUBACK p99 ` +
        `${pubackDuring.latency.p99.toFixed(2)} ms (idle ${pubackIdle.latency.p99.toFixed(2)} ms)`,
    );
    return {
      executions: n,
      startMs,
      reactMs: error ? Number.NaN : reactMs,
      reacted: reacted.size,
      phasesMs,
      rssPerExecution,
      rssFirst,
      rssAll,
      pubackIdle,
      pubackDuring,
      ...(error ? { error } : {}),
    };
  } finally {
    // After a time-out too: executions still waiting would react to the next round's `wake`.
    await rpc
      .call('workflowExecution.stopAll', { namespace: NS, workflow: waitWorkflow.name })
      .catch(() => 0);
    await waitUntilIdle(serverPid, IDLE);
    await clients.close();
  }
}
