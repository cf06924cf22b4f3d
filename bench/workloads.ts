import type { MqttClient } from 'mqtt';
import { decodeEvent } from '../protocol/event.ts';
import { publishWindowed, RawClients } from './shared.ts';
import { summarize, type LatencySummary } from './stats.ts';
import type { PayloadFormat } from './targets.ts';

export const TOPIC = 'ns/default/bench';
const FILTER = 'ns/default/#';
/** A small event value: `<seq>:` padded to a fixed size, so every target moves the same bytes. */
const PAYLOAD_BYTES = 64;

function payload(seq: number): string {
  return `${seq}:`.padEnd(PAYLOAD_BYTES, 'x');
}

/** The sequence number of a received message, whatever the broker did to the payload. */
function sequenceReader(format: PayloadFormat): (payload: Buffer) => number {
  // The envelope is decoded with the product's own decoder, as a real subscriber would.
  const value = format === 'envelope' ? (p: Buffer) => decodeEvent(p).value : (p: Buffer) => p.toString();
  return (p) => {
    try {
      return Number.parseInt(value(p), 10);
    } catch {
      return Number.NaN; // Counted as not received: the phase then times out and says how many arrived.
    }
  };
}

/** Resolves with `work`, or rejects when a client fails or the time is up. */
async function race<T>(
  work: Promise<T>,
  clients: RawClients,
  timeoutMs: number,
  what: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what()}`)), timeoutMs);
  });
  try {
    return await Promise.race([work, clients.failed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ThroughputOptions {
  events: number;
  publishers: number;
  /** QoS 1 publishes each publisher keeps outstanding (sent, PUBACK not yet received). */
  window: number;
  timeoutMs: number;
}

export interface ThroughputResult {
  events: number;
  elapsedMs: number;
  eventsPerSecond: number;
}

/** Publishers flood with a window of unacknowledged publishes; the clock stops when the subscriber has them all. */
export async function measureThroughput(url: string, options: ThroughputOptions): Promise<ThroughputResult> {
  const { events, publishers, window, timeoutMs } = options;
  const clients = new RawClients();
  try {
    const subscriber = await clients.connect(url, 'sub');
    await subscriber.subscribeAsync(FILTER, { qos: 1 });
    const pubs = await Promise.all(
      Array.from({ length: publishers }, (_, i) => clients.connect(url, `pub${i}`)),
    );
    let received = 0;
    const lastReceived = new Promise<number>((resolve) => {
      subscriber.on('message', () => {
        received += 1;
        if (received === events) resolve(performance.now());
      });
    });
    const start = performance.now();
    // Publisher i sends the sequence numbers i, i + publishers, ...: every number exactly once.
    const acked = Promise.all(
      pubs.map((pub, i) =>
        publishWindowed(pub, TOPIC, Math.ceil((events - i) / publishers), window, (seq) =>
          payload(i + seq * publishers),
        ),
      ),
    );
    const [end] = await race(Promise.all([lastReceived, acked]), clients, timeoutMs, () => {
      return `the subscriber received ${received} of ${events} events`;
    });
    const elapsedMs = end - start;
    return { events, elapsedMs, eventsPerSecond: (events / elapsedMs) * 1000 };
  } finally {
    await clients.close();
  }
}

export interface LatencyOptions {
  rate: number;
  seconds: number;
  format: PayloadFormat;
  /** How long to wait for stragglers after the last publish. */
  drainTimeoutMs: number;
}

export interface LatencyResult {
  rate: number;
  /** Due time → the subscriber receives the event. */
  delivery: LatencySummary;
  /** Due time → the publisher receives the PUBACK. */
  puback: LatencySummary;
  /** How late the pacer's timer fired, worst case: the part of the latency that is the harness's own. */
  maxPacerLagMs: number;
}

/**
 * Open loop at a fixed rate: event `seq` is due at `start + seq / rate` whether or not earlier ones were acked,
 * and its latencies run from that due time, not from the moment `publish` was called. A stall of the broker (a
 * disk sync on its event loop, a GC pause) then counts against every event it delayed instead of vanishing
 * (coordinated omission). The price: the timer's own lateness, reported as `maxPacerLagMs`, is included.
 */
export async function measureLatency(url: string, options: LatencyOptions): Promise<LatencyResult> {
  const { rate, seconds, format, drainTimeoutMs } = options;
  const total = Math.round(rate * seconds);
  const readSeq = sequenceReader(format);
  const clients = new RawClients();
  try {
    const subscriber = await clients.connect(url, 'sub');
    await subscriber.subscribeAsync(FILTER, { qos: 1 });
    const publisher = await clients.connect(url, 'pub');

    const dueAt = new Float64Array(total);
    const delivery = new Float64Array(total).fill(Number.NaN);
    let received = 0;
    const allReceived = new Promise<void>((resolve) => {
      subscriber.on('message', (_topic, message) => {
        const now = performance.now();
        const seq = readSeq(message);
        // QoS 1 may redeliver: only the first copy of each event counts.
        if (!(seq >= 0 && seq < total) || !Number.isNaN(delivery[seq])) return;
        delivery[seq] = now - dueAt[seq]!;
        received += 1;
        if (received === total) resolve();
      });
    });
    const probe = pubackProbe(publisher, TOPIC, rate, total, (seq, due) => {
      dueAt[seq] = due;
      return payload(seq);
    });
    await race(
      Promise.all([allReceived, probe.allAcked]),
      clients,
      seconds * 1000 + drainTimeoutMs,
      () => `${received} of ${total} events received, ${probe.acked()} acked`,
    );
    const puback = probe.stop();
    return {
      rate,
      delivery: summarize(delivery),
      puback: puback.latency,
      maxPacerLagMs: puback.maxPacerLagMs,
    };
  } finally {
    await clients.close();
  }
}

export interface ProbeResult {
  latency: LatencySummary;
  /** Publishes still waiting for their PUBACK when the probe stopped: counted with their wait so far. */
  unacked: number;
  maxPacerLagMs: number;
}

export interface PubackProbe {
  /** Resolves once `count` publishes are acknowledged (never, for an endless probe). */
  allAcked: Promise<void>;
  acked(): number;
  /** Stops publishing; a publish still unacknowledged counts with the time it has waited so far. */
  stop(): ProbeResult;
}

/**
 * QoS 1 publishes on `topic` at `rate` per second, open loop (see `measureLatency`), up to `count` (Infinity:
 * until stopped), timing each PUBACK from the publish's due time. `payloadOf` is told each due time.
 */
export function pubackProbe(
  client: MqttClient,
  topic: string,
  rate: number,
  count: number,
  payloadOf: (seq: number, dueAt: number) => string,
): PubackProbe {
  const intervalMs = 1000 / rate;
  const dueAt: number[] = [];
  const latency: number[] = [];
  let acked = 0;
  let stopped = false;
  let maxPacerLagMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let fail: (error: Error) => void = () => {};
  let resolveAll: () => void = () => {};
  const allAcked = new Promise<void>((resolve, reject) => {
    resolveAll = resolve;
    fail = reject;
  });
  allAcked.catch(() => {}); // observed by whoever awaits it; an endless probe's failure must not crash the run
  const start = performance.now() + 5;
  let seq = 0;
  const tick = () => {
    const now = performance.now();
    // Catch up on every publish already due, so a late timer delays publishes but never lowers the rate.
    while (!stopped && seq < count && start + seq * intervalMs <= now) {
      const due = start + seq * intervalMs;
      const mine = seq;
      dueAt[mine] = due;
      maxPacerLagMs = Math.max(maxPacerLagMs, now - due);
      client.publish(topic, payloadOf(mine, due), { qos: 1 }, (error) => {
        if (error) return fail(error);
        if (stopped) return;
        latency[mine] = performance.now() - due;
        acked += 1;
        if (acked === count) resolveAll();
      });
      seq += 1;
    }
    if (!stopped && seq < count) timer = setTimeout(tick, start + seq * intervalMs - performance.now());
  };
  tick();
  return {
    allAcked,
    acked: () => acked,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      const now = performance.now();
      let unacked = 0;
      for (let i = 0; i < dueAt.length; i++) {
        if (latency[i] !== undefined) continue;
        latency[i] = now - dueAt[i]!;
        unacked += 1;
      }
      return { latency: summarize(latency), unacked, maxPacerLagMs };
    },
  };
}
