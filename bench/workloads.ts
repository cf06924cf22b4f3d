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

export interface LatencyResult extends LatencySummary {
  rate: number;
  /** How late the pacer's timer fired, worst case: the part of the latency that is the harness's own. */
  maxPacerLagMs: number;
}

/**
 * Open loop: event `seq` is due at `start + seq / rate`, whether or not earlier ones were acked, and its latency
 * runs from that due time, not from the moment `publish` was called. A stall of the shared event loop (a
 * synchronous fsync of the in-process broker, a GC pause) then counts against the events it delayed instead of
 * vanishing (coordinated omission). The price: the timer's own lateness, reported as `maxPacerLagMs`, is included.
 */
export async function measureLatency(url: string, options: LatencyOptions): Promise<LatencyResult> {
  const { rate, seconds, format, drainTimeoutMs } = options;
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const readSeq = sequenceReader(format);
  const clients = new RawClients();
  try {
    const subscriber = await clients.connect(url, 'sub');
    await subscriber.subscribeAsync(FILTER, { qos: 1 });
    const publisher = await clients.connect(url, 'pub');

    const dueAt = new Float64Array(total);
    const latency = new Float64Array(total).fill(Number.NaN);
    let received = 0;
    const allReceived = new Promise<void>((resolve) => {
      subscriber.on('message', (_topic, message) => {
        const now = performance.now();
        const seq = readSeq(message);
        // QoS 1 may redeliver: only the first copy of each event counts.
        if (!(seq >= 0 && seq < total) || !Number.isNaN(latency[seq])) return;
        latency[seq] = now - dueAt[seq]!;
        received += 1;
        if (received === total) resolve();
      });
    });

    let acked = 0;
    let maxPacerLagMs = 0;
    const allAcked = new Promise<void>((resolve, reject) => {
      const start = performance.now() + 5;
      let seq = 0;
      const tick = () => {
        const now = performance.now();
        // Catch up on every event already due, so a late timer delays events but never drops the rate.
        while (seq < total && start + seq * intervalMs <= now) {
          dueAt[seq] = start + seq * intervalMs;
          maxPacerLagMs = Math.max(maxPacerLagMs, now - dueAt[seq]!);
          publisher.publish(TOPIC, payload(seq), { qos: 1 }, (error) => {
            if (error) return reject(error);
            acked += 1;
            if (acked === total) resolve();
          });
          seq += 1;
        }
        if (seq < total) setTimeout(tick, start + seq * intervalMs - performance.now());
      };
      tick();
    });

    await race(
      Promise.all([allReceived, allAcked]),
      clients,
      seconds * 1000 + drainTimeoutMs,
      () => `${received} of ${total} events received, ${acked} acked`,
    );
    return { rate, maxPacerLagMs, ...summarize(latency) };
  } finally {
    await clients.close();
  }
}
