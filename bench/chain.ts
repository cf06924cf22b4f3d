/**
 * The 40-task bash chain, per hop, beside the MQTT round trip on the same server: both through plain MQTT clients
 * and the SDK, with the hops read from the status events' server-clock `createTime`.
 */
import type { SchedulerClient } from '../client/scheduler-client.ts';
import { decodeEvent } from '../protocol/event.ts';
import { eventTopic } from '../protocol/topics.ts';
import { Changes, RawClients } from './shared.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { watchStatuses, type Status } from './status-watch.ts';
import chainWorkflow from './workflows/chain.ts';

const NS = 'default';

export interface RoundTrips {
  /** QoS 1 publish on a plain topic (not an event) → the subscriber receives it. */
  mqtt: LatencySummary;
  /** QoS 1 publish of an event (stored, then delivered in its envelope) → the subscriber receives it. */
  event: LatencySummary;
}

export async function roundTrips(url: string, count: number): Promise<RoundTrips> {
  const clients = new RawClients();
  try {
    const sub = await clients.connect(url, 'rt-sub');
    const pub = await clients.connect(url, 'rt-pub');
    const changes = new Changes();
    const seen = new Map<string, number>();
    sub.on('message', (topic, payload) => {
      const value = topic.startsWith('ns/') ? decodeEvent(payload).value : payload.toString();
      seen.set(`${topic} ${value}`, performance.now());
      changes.notify();
    });
    const plain = 'bench/ping';
    const event = eventTopic(NS, 'bench/echo');
    await sub.subscribeAsync([plain, event], { qos: 1 });
    const once = async (topic: string, seq: number) => {
      const t0 = performance.now();
      pub.publish(topic, String(seq), { qos: 1 });
      const at = await clients.race(
        changes.until(
          () => seen.get(`${topic} ${seq}`),
          30_000,
          () => topic,
        ),
      );
      return at - t0;
    };
    const mqtt: number[] = [];
    const durable: number[] = [];
    for (let seq = -5; seq < count; seq++) {
      const a = await once(plain, seq);
      const b = await once(event, seq);
      if (seq >= 0) mqtt.push(a); // the first five warm up
      if (seq >= 0) durable.push(b);
    }
    return { mqtt: summarize(mqtt), event: summarize(durable) };
  } finally {
    await clients.close();
  }
}

export interface ChainRun {
  executionId: number;
  /** Start request → the execution's `success` received (client clock). */
  totalMs: number;
  /** Per hop: upstream `success` → downstream `success` (server clock): decision, process, report. */
  hop: LatencySummary;
  /** Per hop: upstream `success` → downstream `queued` (server clock): the scheduler's decision alone. */
  decision: LatencySummary;
}

export async function chainRun(url: string, rpc: SchedulerClient): Promise<ChainRun> {
  const clients = new RawClients();
  const byExecution = new Map<number, Status[]>();
  const changes = new Changes();
  try {
    const watcher = await clients.connect(url, 'chain');
    await watchStatuses(watcher, NS, chainWorkflow.name, (status) => {
      byExecution.set(status.executionId, [...(byExecution.get(status.executionId) ?? []), status]);
      changes.notify();
    });
    const t0 = performance.now();
    const { id } = await rpc.call('workflowExecution.start', {
      namespace: NS,
      workflow: chainWorkflow.name,
    });
    const end = await clients.race(
      changes.until(
        () => byExecution.get(id)?.find((s) => s.task === undefined && s.value !== 'running'),
        300_000,
        () => `the end of chain execution ${id}`,
      ),
    );
    if (end.value !== 'success') throw new Error(`chain execution ${id} ended ${end.value}`);
    const statuses = byExecution.get(id)!;
    const at = (task: string, value: string) => {
      const found = statuses.find((s) => s.task === task && s.value === value);
      if (!found) throw new Error(`no ${value} status for task ${task} of chain execution ${id}`);
      return found.createTime;
    };
    const names = chainWorkflow.tasks.map((t) => t.name);
    const hops = names.slice(1).map((name, i) => ({ up: names[i]!, down: name }));
    return {
      executionId: id,
      totalMs: end.at - t0,
      hop: summarize(hops.map(({ up, down }) => at(down, 'success') - at(up, 'success'))),
      decision: summarize(hops.map(({ up, down }) => at(down, 'queued') - at(up, 'success'))),
    };
  } finally {
    await clients.close();
  }
}
