/**
 * The scheduler under load, in one run, against baselines measured on the same server in the same run:
 * (a) decision latency of an event rule, (b) a 40-task chain, (c) 1,000 running executions: start rate, heap per
 * task execution, events/s through the rules. See bench/README.md. Run: `npm run bench:scheduler`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, type LogRecord } from '../broker/index.ts';
import { AIFlowNotificationClient } from '../client/notification-client.ts';
import { SchedulerClient } from '../client/scheduler-client.ts';
import { decodeEvent, type Event } from '../protocol/event.ts';
import { taskStatusKey, workflowStatusKey } from '../protocol/status-events.ts';
import { eventTopic } from '../protocol/topics.ts';
import { startServer, type AIFlowServer } from '../server/aiflow-server.ts';
import {
  Changes,
  collectedHeap,
  fileSystemOf,
  killLeftoverRunners,
  progress,
  publishWindowed,
  RawClients,
  reexecWithGc,
  sleep,
  statusContext,
  type HeapSample,
} from './scheduler-harness.ts';
import { machineInfo } from './shared.ts';
import { summarize, type LatencySummary } from './stats.ts';
import chainWorkflow from './workflows/chain.ts';
import decisionWorkflow from './workflows/decision.ts';
import manyWorkflow, { SLEEPING_TASKS } from './workflows/many.ts';

const CONFIG = {
  decisions: positiveEnv('BENCH_DECISIONS', 200),
  /** Untimed `go` events first, so the first timed decisions do not pay for JIT compilation. */
  decisionWarmup: 5,
  /** Pause after each decision's task has ended, so every `go` meets an idle scheduler. */
  decisionSettleMs: 20,
  executions: positiveEnv('BENCH_EXECUTIONS', 1_000),
  /** `workflowExecution.start` requests kept in flight. */
  startWindow: 8,
  unrelatedEvents: positiveEnv('BENCH_UNRELATED_EVENTS', 5_000),
  matchedEvents: positiveEnv('BENCH_MATCHED_EVENTS', 1_000),
  /** QoS 1 publishes kept unacknowledged by the event publisher of phase c. */
  publishWindow: 64,
  parallelism: 4,
  stopGraceMs: 2_000,
  durability: 'full' as const,
  namespace: 'default',
};

// From the product spec; informational only.
const SPEC = { maxDecisionP99Ms: 20, maxChainMs: 2_000, maxHeapPerTaskExecutionBytes: 10 * 1024 };

const NS = CONFIG.namespace;
const PING_TOPIC = 'bench/ping';
const ECHO_KEY = 'bench/echo';

if (CONFIG.executions < 3)
  throw new Error('BENCH_EXECUTIONS must be at least 3 (one marker execution per step)');

function positiveEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

interface Ctx {
  server: AIFlowServer;
  rpc: SchedulerClient;
}

type Phase<T> = { status: 'ok'; result: T } | { status: 'failed'; reason: string };

async function phase<T>(name: string, run: () => Promise<T>): Promise<Phase<T>> {
  try {
    return { status: 'ok', result: await run() };
  } catch (error) {
    const reason = (error as Error).message;
    progress(`${name}: FAILED: ${reason}`);
    return { status: 'failed', reason };
  }
}

async function startExecution(rpc: SchedulerClient, workflow: string): Promise<number> {
  return (await rpc.call<{ id: number }>('workflowExecution.start', { namespace: NS, workflow })).id;
}

// ---- (a) decision latency ----

interface DecisionResult {
  decisions: number;
  /** Baseline: QoS 1 publish on a plain topic → the subscriber receives it (client clock). */
  mqttPing: LatencySummary;
  /** Baseline: QoS 1 publish of an event (stored, fsynced, wrapped in its envelope) → received (client clock). */
  durableEcho: LatencySummary;
  /** `queued` status event createTime − `go` event createTime (server clock, 1 ms resolution). */
  decisionServer: LatencySummary;
  /** Publish of `go` → receipt of the `queued` status event (client clock). */
  decisionClient: LatencySummary;
  /** `queued` → `success` of task `t` (server clock): a process start, `true`, the report. */
  taskRun: LatencySummary;
  samples: { decisionServer: number[]; decisionClient: number[]; mqttPing: number[] };
}

async function decisionPhase({ server, rpc }: Ctx): Promise<DecisionResult> {
  const wf = decisionWorkflow.name;
  const tKey = taskStatusKey(wf, 't');
  const keepaliveKey = taskStatusKey(wf, 'keepalive');
  const clients = new RawClients();
  let stopped = false;
  try {
    const sub = await clients.connect(server.url, 'sub');
    const pub = await clients.connect(server.url, 'pub');
    const changes = new Changes();
    const pings = new Map<number, number>();
    const echoes = new Map<number, number>();
    const goCreated = new Map<number, number>();
    const queued: { event: Event; at: number; taskExecutionId: number }[] = [];
    const seenQueued = new Set<number>();
    const ended = new Map<number, Event>();
    let keepalive: string | undefined;
    let executionStatus: string | undefined;
    sub.on('message', (topic, payload, packet) => {
      const at = performance.now();
      if (packet.retain) return; // a status from before the subscription, not an answer to anything
      if (topic === PING_TOPIC) {
        pings.set(Number(payload.toString()), at);
      } else {
        const event = decodeEvent(payload);
        if (event.key === ECHO_KEY) echoes.set(Number(event.value), at);
        else if (event.key === 'go') goCreated.set(Number(event.value), event.createTime);
        else if (event.key === keepaliveKey) keepalive = event.value;
        else if (event.key === workflowStatusKey(wf)) executionStatus = event.value;
        else if (event.key === tKey) {
          const { taskExecutionId } = statusContext(event);
          if (taskExecutionId === undefined) return;
          if (event.value === 'queued' && !seenQueued.has(taskExecutionId)) {
            seenQueued.add(taskExecutionId);
            queued.push({ event, at, taskExecutionId });
          } else if (['success', 'failed', 'stopped'].includes(event.value)) {
            ended.set(taskExecutionId, event);
          }
        }
      }
      changes.notify();
    });
    const topics = [ECHO_KEY, 'go', tKey, keepaliveKey, workflowStatusKey(wf)].map((k) => eventTopic(NS, k));
    await sub.subscribeAsync([PING_TOPIC, ...topics], { qos: 1 });

    const executionId = await startExecution(rpc, wf);
    await clients.race(
      changes.until(
        () => (keepalive === 'running' ? true : undefined),
        30_000,
        () => 'keepalive running',
      ),
    );

    const wait = <T>(check: () => T | undefined, what: () => string, timeoutMs = 30_000) =>
      clients.race(changes.until(check, timeoutMs, what));
    const publish = (topic: string, seq: number) =>
      pub.publish(topic, String(seq), { qos: 1 }, (error) => {
        if (error) progress(`publish on ${topic} failed: ${error.message}`);
      });
    const mqttPing: number[] = [];
    const durableEcho: number[] = [];
    const decisionServer: number[] = [];
    const decisionClient: number[] = [];
    const taskRun: number[] = [];
    const total = CONFIG.decisionWarmup + CONFIG.decisions;
    progress(
      `(a) ${CONFIG.decisionWarmup} untimed + ${CONFIG.decisions} decisions in execution ${executionId}`,
    );
    for (let seq = 0; seq < total; seq++) {
      const timed = seq >= CONFIG.decisionWarmup;
      // Baselines first, on the same connections and in the same state of the server as the decision.
      let t0 = performance.now();
      publish(PING_TOPIC, seq);
      const pinged = await wait(
        () => pings.get(seq),
        () => `ping ${seq}`,
      );
      if (timed) mqttPing.push(pinged - t0);
      t0 = performance.now();
      publish(eventTopic(NS, ECHO_KEY), seq);
      const echoed = await wait(
        () => echoes.get(seq),
        () => `echo ${seq}`,
      );
      if (timed) durableEcho.push(echoed - t0);

      const before = queued.length;
      t0 = performance.now();
      publish(eventTopic(NS, 'go'), seq);
      const q = await wait(
        () => queued[before],
        () => `the queued status of t after go ${seq}`,
      );
      const goTime = await wait(
        () => goCreated.get(seq),
        () => `the envelope of go ${seq}`,
      );
      const end = await wait(
        () => ended.get(q.taskExecutionId),
        () => `the end of task execution ${q.taskExecutionId}`,
      );
      if (end.value !== 'success') throw new Error(`task execution ${q.taskExecutionId} ended ${end.value}`);
      if (timed) {
        decisionServer.push(q.event.createTime - goTime);
        decisionClient.push(q.at - t0);
        taskRun.push(end.createTime - q.event.createTime);
      }
      if (seq > 0 && seq % 50 === 0) progress(`(a) ${seq} of ${total} decisions`);
      await sleep(CONFIG.decisionSettleMs);
    }

    // The execution stays running (keepalive): stop it, and wait for its `sleep` to be gone, so that the next
    // phases get every process slot.
    await rpc.call('workflowExecution.stopAll', { namespace: NS, workflow: wf });
    stopped = true;
    await wait(
      () => (executionStatus === 'stopped' && keepalive === 'stopped' ? true : undefined),
      () => `execution ${executionId} stopped (now ${executionStatus}, keepalive ${keepalive})`,
    );
    const result: DecisionResult = {
      decisions: CONFIG.decisions,
      mqttPing: summarize(mqttPing),
      durableEcho: summarize(durableEcho),
      decisionServer: summarize(decisionServer),
      decisionClient: summarize(decisionClient),
      taskRun: summarize(taskRun),
      samples: { decisionServer, decisionClient, mqttPing },
    };
    progress(
      `(a) decision p50 ${ms(result.decisionServer.p50)} p99 ${ms(result.decisionServer.p99)} ms (server clock); ` +
        `MQTT ping p99 ${ms(result.mqttPing.p99)} ms`,
    );
    return result;
  } finally {
    // After a failure too: a running `keepalive` would hold one of the process slots phase c counts on.
    if (!stopped) await rpc.call('workflowExecution.stopAll', { namespace: NS, workflow: wf }).catch(() => 0);
    await clients.close();
  }
}

// ---- (b) chain ----

interface ChainResult {
  tasks: number;
  executionId: number;
  /** `workflowExecution.start` sent → `$workflow/<wf>` success received (client clock). */
  totalMs: number;
  /** `$workflow` running → `$workflow` success createTime (server clock). */
  serverTotalMs: number;
  /** Upstream `success` → downstream `queued` createTime, over the hops. */
  hopQueued: LatencySummary;
  /** Upstream `success` → downstream `running` createTime. */
  hopRunning: LatencySummary;
  /** `running` → `success` of each task: the runner process starting, `true`, the report. */
  taskRun: LatencySummary;
  /** Sum over the tasks of `running` → `success`: the part of the total spent in task processes. */
  taskRunTotalMs: number;
}

async function chainPhase({ rpc }: Ctx, sdk: AIFlowNotificationClient): Promise<ChainResult> {
  const wf = chainWorkflow.name;
  const names = chainWorkflow.tasks.map((t) => t.name);
  const changes = new Changes();
  const times = new Map<string, Map<string, number>>(); // task → status → createTime
  let finished: { event: Event; at: number } | undefined;
  let running: Event | undefined;
  let executionId: number | undefined;
  // Status events may arrive before the reply that tells the execution's id: they wait here until then.
  const early: { event: Event; at: number }[] = [];
  const apply = (event: Event, at: number) => {
    const context = statusContext(event);
    if (context.workflowExecutionId !== executionId) return;
    if (event.key === workflowStatusKey(wf)) {
      if (event.value === 'running') running = event;
      else finished ??= { event, at };
    } else if (context.task !== undefined) {
      const byStatus = times.get(context.task) ?? new Map<string, number>();
      byStatus.set(event.value, event.createTime);
      times.set(context.task, byStatus);
    }
  };
  const listener = await sdk.registerListener(
    {
      process: (batch) => {
        const at = performance.now();
        for (const event of batch) {
          if (executionId === undefined) early.push({ event, at });
          else apply(event, at);
        }
        changes.notify();
      },
    },
    { eventKeys: [workflowStatusKey(wf), ...names.map((n) => taskStatusKey(wf, n))] },
  );
  try {
    progress(`(b) chain of ${names.length} tasks`);
    const t0 = performance.now();
    const id = await startExecution(rpc, wf);
    executionId = id;
    for (const { event, at } of early.splice(0)) apply(event, at);
    const done = await changes.until(
      () => finished,
      180_000,
      () => `the end of chain execution ${id} (${times.size} of ${names.length} tasks seen)`,
    );
    const totalMs = done.at - t0;
    if (done.event.value !== 'success') throw new Error(`chain execution ${id} ended ${done.event.value}`);
    const at = (task: string, status: string) => {
      const value = times.get(task)?.get(status);
      if (value === undefined) throw new Error(`no ${status} status event for task ${task}`);
      return value;
    };
    const hopQueued: number[] = [];
    const hopRunning: number[] = [];
    const taskRun = names.map((n) => at(n, 'success') - at(n, 'running'));
    for (let i = 1; i < names.length; i++) {
      hopQueued.push(at(names[i]!, 'queued') - at(names[i - 1]!, 'success'));
      hopRunning.push(at(names[i]!, 'running') - at(names[i - 1]!, 'success'));
    }
    const result: ChainResult = {
      tasks: names.length,
      executionId: id,
      totalMs,
      serverTotalMs: running ? done.event.createTime - running.createTime : Number.NaN,
      hopQueued: summarize(hopQueued),
      hopRunning: summarize(hopRunning),
      taskRun: summarize(taskRun),
      taskRunTotalMs: taskRun.reduce((a, b) => a + b, 0),
    };
    progress(
      `(b) ${(totalMs / 1000).toFixed(2)} s in total; hop p50 ${ms(result.hopQueued.p50)} ms; ` +
        `task process p50 ${ms(result.taskRun.p50)} ms`,
    );
    return result;
  } finally {
    await sdk.unregisterListener(listener);
  }
}

// ---- (c) many executions ----

interface EventsRun {
  events: number;
  /** Running executions whose rules expect the key (each evaluates every event). */
  executionsMatched: number;
  /** First publish → the marker's `queued` status event received (client clock). */
  elapsedMs: number;
  eventsPerSecond: number;
  /** events × executions matched / elapsed. */
  evaluationsPerSecond: number;
}

interface ManyResult {
  executions: number;
  taskExecutions: number;
  /** First `workflowExecution.start` sent → last reply received. */
  startMs: number;
  startsPerSecond: number;
  /** `$workflow` running and `$task` queued status events of the started executions. */
  statusEvents: number;
  /** First start sent → last of those status events received. */
  statusDrainMs: number;
  statusEventsPerSecond: number;
  heapBefore: HeapSample;
  heapAfter: HeapSample;
  heapPerTaskExecution: number;
  heapPerWorkflowExecution: number;
  rssPerTaskExecution: number;
  unrelated: EventsRun;
  matched: EventsRun;
  /** `workflowExecution.stopAll` request → reply, for all executions. */
  stopAllMs: number;
}

async function manyPhase({ server, rpc }: Ctx, sdk: AIFlowNotificationClient): Promise<ManyResult> {
  const wf = manyWorkflow.name;
  const n = CONFIG.executions;
  const sleepers = new Set(manyWorkflow.tasks.slice(0, SLEEPING_TASKS).map((t) => taskStatusKey(wf, t.name)));
  const markerKey = taskStatusKey(wf, 'marker');
  const changes = new Changes();
  // Counters only: whatever this process keeps is counted in the heap figures.
  let statusEvents = 0;
  let lastStatusAt = 0;
  const markers = new Map<number, number>(); // execution → receipt time of its marker's `queued`
  const listener = await sdk.registerListener(
    {
      process: (batch) => {
        const at = performance.now();
        for (const event of batch) {
          if (event.key === markerKey) {
            if (event.value === 'queued') markers.set(statusContext(event).workflowExecutionId, at);
          } else if (
            (event.key === workflowStatusKey(wf) && event.value === 'running') ||
            (sleepers.has(event.key) && event.value === 'queued')
          ) {
            statusEvents += 1;
            lastStatusAt = at;
          }
        }
        changes.notify();
      },
    },
    { eventKeys: [workflowStatusKey(wf), markerKey, ...sleepers] },
  );
  const clients = new RawClients();
  try {
    const pub = await clients.connect(server.url, 'pub');
    // Tells when the scheduler has processed everything before it: it starts `marker` in one execution only.
    const mark = async (executionId: number, timeoutMs: number) => {
      await sdk.sendEvent('marker', String(executionId), {
        context: JSON.stringify({ workflowExecutionId: executionId }),
      });
      return clients.race(
        changes.until(
          () => markers.get(executionId),
          timeoutMs,
          () => `the marker of execution ${executionId}`,
        ),
      );
    };

    const heapBefore = await collectedHeap();
    progress(
      `(c) starting ${n} executions of ${wf} (${SLEEPING_TASKS} tasks each), ${CONFIG.startWindow} requests in flight`,
    );
    const ids: number[] = [];
    const t0 = performance.now();
    let requested = 0;
    await Promise.all(
      Array.from({ length: CONFIG.startWindow }, async () => {
        while (requested < n) {
          requested += 1;
          ids.push(await startExecution(rpc, wf));
          if (ids.length % 250 === 0) progress(`(c) ${ids.length} executions started`);
        }
      }),
    );
    const startMs = performance.now() - t0;
    const expected = n * (1 + SLEEPING_TASKS);
    progress(
      `(c) ${n} started in ${(startMs / 1000).toFixed(1)} s; waiting for their ${expected} status events`,
    );
    await clients.race(
      changes.until(
        () => (statusEvents >= expected ? true : undefined),
        Math.max(120_000, n * 300),
        () => `${expected} status events (${statusEvents} received)`,
      ),
    );
    const statusDrainMs = lastStatusAt - t0;
    ids.sort((a, b) => a - b);
    await mark(ids[0]!, 60_000);
    await sleep(500); // the marker's own status events, then quiet
    const heapAfter = await collectedHeap();
    const taskExecutions = n * SLEEPING_TASKS + 1; // + the marker's
    const heapDelta = heapAfter.heapUsed - heapBefore.heapUsed;
    progress(`(c) heap +${mb(heapDelta)} MB: ${kb(heapDelta / taskExecutions)} KB per task execution`);

    const eventsRun = async (
      key: string,
      events: number,
      executionsMatched: number,
      markerExecution: number,
    ) => {
      progress(`(c) ${events} events ${key}, ${executionsMatched} executions expect it`);
      const start = performance.now();
      await clients.race(publishWindowed(pub, eventTopic(NS, key), events, CONFIG.publishWindow, String));
      const end = await mark(markerExecution, Math.max(120_000, events * executionsMatched));
      const elapsedMs = end - start;
      const run: EventsRun = {
        events,
        executionsMatched,
        elapsedMs,
        eventsPerSecond: (events / elapsedMs) * 1000,
        evaluationsPerSecond: ((events * executionsMatched) / elapsedMs) * 1000,
      };
      progress(
        `(c) ${Math.round(run.eventsPerSecond)} events/s, ${Math.round(run.evaluationsPerSecond)} evaluations/s`,
      );
      return run;
    };
    const unrelated = await eventsRun('unrelated', CONFIG.unrelatedEvents, 0, ids[1] ?? ids[0]!);
    const matched = await eventsRun('a', CONFIG.matchedEvents, n, ids[2] ?? ids[0]!);

    progress(`(c) workflowExecution.stopAll for ${n} executions`);
    const s0 = performance.now();
    await rpc.call('workflowExecution.stopAll', { namespace: NS, workflow: wf });
    const stopAllMs = performance.now() - s0;
    return {
      executions: n,
      taskExecutions,
      startMs,
      startsPerSecond: (n / startMs) * 1000,
      statusEvents: expected,
      statusDrainMs,
      statusEventsPerSecond: (expected / statusDrainMs) * 1000,
      heapBefore,
      heapAfter,
      heapPerTaskExecution: heapDelta / taskExecutions,
      heapPerWorkflowExecution: heapDelta / n,
      rssPerTaskExecution: (heapAfter.rss - heapBefore.rss) / taskExecutions,
      unrelated,
      matched,
      stopAllMs,
    };
  } finally {
    await clients.close();
    await sdk.unregisterListener(listener).catch(() => undefined);
  }
}

// ---- report ----

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const times = (value: number | null) =>
  value === null || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}x`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [format(header), rule, ...rows.map(format)].join('\n');
}

const latencyRow = (label: string, s: LatencySummary) => [
  label,
  String(s.count),
  ms(s.p50),
  ms(s.p99),
  ms(s.max),
];
const failedRow = (label: string, reason: string) => [label, `FAILED: ${reason}`, '', '', ''];

interface Results {
  decision: Phase<DecisionResult>;
  chain: Phase<ChainResult>;
  many: Phase<ManyResult>;
}

type Verdict = 'PASS' | 'MISS' | 'n/a';

function report(r: Results): {
  text: string;
  ratios: Record<string, number | null>;
  verdicts: Record<string, Verdict>;
} {
  const d = r.decision.status === 'ok' ? r.decision.result : undefined;
  const c = r.chain.status === 'ok' ? r.chain.result : undefined;
  const m = r.many.status === 'ok' ? r.many.result : undefined;
  const out: string[] = [];

  out.push(
    `(a) Decision latency: one running execution, ${CONFIG.decisions} \`go\` events, each starts task t`,
  );
  const header = ['measurement', 'n', 'p50 ms', 'p99 ms', 'max ms'];
  out.push(
    table(
      header,
      d
        ? [
            latencyRow(`baseline: MQTT round trip, ${PING_TOPIC} (client clock)`, d.mqttPing),
            latencyRow('baseline: durable event round trip (client clock)', d.durableEcho),
            latencyRow('decision: go → t queued (server clock)', d.decisionServer),
            latencyRow('decision: publish go → queued received (client)', d.decisionClient),
            latencyRow('t: queued → success (process start + `true`)', d.taskRun),
          ]
        : [failedRow('decision latency', r.decision.status === 'failed' ? r.decision.reason : '')],
    ),
  );
  out.push('');
  out.push(`(b) Chain: ${chainWorkflow.tasks.length} tasks \`true\`, each startAfter the previous one`);
  out.push(
    table(
      header,
      c
        ? [
            latencyRow('hop: upstream success → downstream queued', c.hopQueued),
            latencyRow('hop: upstream success → downstream running', c.hopRunning),
            latencyRow('task: running → success (process start + `true`)', c.taskRun),
            ['total: start request → $workflow success (client)', '1', ms(c.totalMs), '', ''],
            ['total: $workflow running → success (server clock)', '1', ms(c.serverTotalMs), '', ''],
          ]
        : [failedRow('chain', r.chain.status === 'failed' ? r.chain.reason : '')],
    ),
  );
  out.push('');
  out.push(
    `(c) Many executions: ${int(CONFIG.executions)} executions x ${SLEEPING_TASKS} tasks \`sleep 600\`, ` +
      `parallelism ${CONFIG.parallelism} (the other task executions stay queued)`,
  );
  out.push(
    table(
      ['measurement', 'value'],
      m
        ? [
            ['executions started/s (start requests → replies)', int(m.startsPerSecond)],
            [
              `status events/s (${int(m.statusEvents)} running + queued, until all received)`,
              int(m.statusEventsPerSecond),
            ],
            [
              `heap per task execution (${int(m.taskExecutions)}, after GC)`,
              `${kb(m.heapPerTaskExecution)} KB`,
            ],
            ['heap per workflow execution', `${kb(m.heapPerWorkflowExecution)} KB`],
            ['RSS per task execution (informational)', `${kb(m.rssPerTaskExecution)} KB`],
            [
              `events/s, key no rule expects (${int(m.unrelated.events)} events)`,
              int(m.unrelated.eventsPerSecond),
            ],
            [
              `events/s, key all ${int(m.matched.executionsMatched)} executions expect (${int(m.matched.events)} events)`,
              int(m.matched.eventsPerSecond),
            ],
            ['execution-evaluations/s (events x executions matched)', int(m.matched.evaluationsPerSecond)],
            [`workflowExecution.stopAll of ${int(m.executions)} executions`, `${ms(m.stopAllMs / 1000)} s`],
          ]
        : [['many executions', `FAILED: ${r.many.status === 'failed' ? r.many.reason : ''}`]],
    ),
  );

  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? null : a / b;
  const ratios = {
    decisionVsMqttPingP50: ratio(d?.decisionServer.p50, d?.mqttPing.p50),
    decisionVsMqttPingP99: ratio(d?.decisionServer.p99, d?.mqttPing.p99),
    decisionClientVsDurableEchoP99: ratio(d?.decisionClient.p99, d?.durableEcho.p99),
    chainHopVsDecisionP50: ratio(c?.hopQueued.p50, d?.decisionServer.p50),
    chainTaskProcessShare: ratio(c?.taskRunTotalMs, c?.serverTotalMs),
    matchedVsUnrelatedEventsPerSecond: ratio(m?.matched.eventsPerSecond, m?.unrelated.eventsPerSecond),
  };
  out.push('');
  out.push(
    `decision (server) / MQTT round trip:          p50 ${times(ratios.decisionVsMqttPingP50)}, ` +
      `p99 ${times(ratios.decisionVsMqttPingP99)}`,
  );
  out.push(
    `decision (client) / durable event round trip: p99 ${times(ratios.decisionClientVsDurableEchoP99)}`,
  );
  out.push(`chain hop / decision:                         p50 ${times(ratios.chainHopVsDecisionP50)}`);
  out.push(
    `chain time spent in task processes:           ` +
      (ratios.chainTaskProcessShare === null
        ? 'n/a'
        : `${(ratios.chainTaskProcessShare * 100).toFixed(0)} %`),
  );
  out.push(`events/s, every execution expects / none:    ${times(ratios.matchedVsUnrelatedEventsPerSecond)}`);
  out.push('');
  out.push(
    `For context (not measured here): an Airflow deployment needs about 2 minutes for the same ` +
      `${chainWorkflow.tasks.length}-task chain.`,
  );

  const verdict = (value: number | undefined, max: number): Verdict =>
    value === undefined || !Number.isFinite(value) ? 'n/a' : value < max ? 'PASS' : 'MISS';
  const verdicts = {
    decisionP99: verdict(d?.decisionServer.p99, SPEC.maxDecisionP99Ms),
    chainTotal: verdict(c?.totalMs, SPEC.maxChainMs),
    heapPerTaskExecution: verdict(m?.heapPerTaskExecution, SPEC.maxHeapPerTaskExecutionBytes),
  };
  out.push('');
  out.push('Spec targets (informational):');
  out.push(
    `  ${verdicts.decisionP99.padEnd(4)}  decision p99 < ${SPEC.maxDecisionP99Ms} ms (server clock): ` +
      (d ? `${ms(d.decisionServer.p99)} ms` : 'n/a'),
  );
  out.push(
    `  ${verdicts.chainTotal.padEnd(4)}  ${chainWorkflow.tasks.length}-task chain < ${SPEC.maxChainMs / 1000} s: ` +
      (c ? `${(c.totalMs / 1000).toFixed(2)} s` : 'n/a'),
  );
  out.push(
    `  ${verdicts.heapPerTaskExecution.padEnd(4)}  scheduler heap < ${SPEC.maxHeapPerTaskExecutionBytes / 1024} KB ` +
      `per task execution: ${m ? `${kb(m.heapPerTaskExecution)} KB` : 'n/a'}`,
  );
  return { text: out.join('\n'), ratios, verdicts };
}

// ---- main ----

async function main(): Promise<number> {
  const childCode = await reexecWithGc(fileURLToPath(import.meta.url));
  if (childCode !== undefined) return childCode;

  const startedAt = new Date().toISOString();
  const home = mkdtempSync(join(os.tmpdir(), 'aiflow-bench-scheduler-'));
  const tasksDir = join(home, 'tasks');
  // Also on process.exit (a signal, or the end of main): kill what the scheduler left running, drop the data.
  process.on('exit', () => {
    killLeftoverRunners(tasksDir);
    rmSync(home, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

  const fs = fileSystemOf(home);
  const loadBefore = os.loadavg()[0]!;
  progress(
    `home ${home} (${fs}); ${os.cpus().length} CPUs; node ${process.version}; load ${loadBefore.toFixed(2)}`,
  );
  if (loadBefore > 0.5) progress('WARNING: other processes are busy: expect noisier latencies');
  if (fs === 'tmpfs')
    progress('WARNING: the databases are on tmpfs, fsync costs nothing; set TMPDIR to a disk');

  // Warnings and errors of the server go to stderr, each kind once (closing with a backlog of status events
  // logs one line per pending commit); the JSON gets the count of each kind and the first records.
  const logged = new Map<string, { count: number; first: LogRecord }>();
  const logger = createLogger('warn', (record) => {
    const kind = `${record.level.toUpperCase()} ${record.message} (${String(record.fields.reason ?? '')})`;
    const seen = logged.get(kind);
    if (seen) return void (seen.count += 1);
    logged.set(kind, { count: 1, first: record });
    process.stderr.write(`[server] ${kind} ${JSON.stringify(record.fields)}\n`);
  });
  const server = await startServer({
    home,
    port: 0,
    durability: CONFIG.durability,
    logger,
    scheduler: { parallelism: CONFIG.parallelism, stopGraceMs: CONFIG.stopGraceMs },
  });
  let results: Results | undefined;
  let leftovers: number[] = [];
  const closing: Record<string, number> = {};
  try {
    const rpc = await SchedulerClient.connect({ server: server.url, requestTimeoutMs: 600_000 });
    const sdk = await AIFlowNotificationClient.connect({ server: server.url, requestTimeoutMs: 120_000 });
    try {
      for (const file of ['decision.ts', 'chain.ts', 'many.ts']) {
        const source = readFileSync(new URL(`./workflows/${file}`, import.meta.url), 'utf8');
        await rpc.call('workflow.upload', { fileName: file, source });
      }
      progress(`server ${server.url}; workflows uploaded`);
      const ctx = { server, rpc };
      const decision = await phase('(a)', () => decisionPhase(ctx));
      const chain = await phase('(b)', () => chainPhase(ctx, sdk));
      const many = await phase('(c)', () => manyPhase(ctx, sdk));
      results = { decision, chain, many };
    } finally {
      await rpc.close();
      await sdk.close();
    }
  } finally {
    progress('closing the server');
    const c0 = performance.now();
    await server.close();
    closing.serverCloseMs = performance.now() - c0;
    leftovers = killLeftoverRunners(tasksDir);
    if (leftovers.length > 0)
      progress(`killed ${leftovers.length} task runner(s) left running: ${leftovers.join(', ')}`);
  }

  for (const [kind, { count }] of logged) if (count > 1) progress(`the server logged ${count} x ${kind}`);
  if (!results) throw new Error('the benchmark did not run'); // unreachable: a failure before the phases throws
  const { text, ratios, verdicts } = report(results);
  process.stdout.write(`${text}\n`);
  const file = writeResults(startedAt, fs, loadBefore, {
    ...results,
    ratios,
    verdicts,
    closing,
    leftovers,
    serverLog: [...logged].map(([kind, { count, first }]) => ({ kind, count, first })),
  });
  progress(`results written to ${file}`);
  // A phase that could not be measured is a broken run; a missed spec target is not.
  return Object.values(results).some((p) => p.status === 'failed') ? 1 : 0;
}

function writeResults(startedAt: string, fs: string, loadBefore: number, data: object): string {
  const results = {
    startedAt,
    machine: {
      ...machineInfo(),
      dataFileSystem: fs,
      loadAverage1m: { before: loadBefore, after: os.loadavg()[0] },
    },
    config: CONFIG,
    spec: SPEC,
    ...data,
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `scheduler-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

// process.exit, not a natural end: nothing the server leaves pending after `close()` (status events still in its
// outbox, timers) may keep the benchmark alive.
process.exit(await main());
