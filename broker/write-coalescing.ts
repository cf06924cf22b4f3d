import type { Duplex } from 'node:stream';

const flushes = new WeakMap<Duplex, () => void>();

/**
 * Sends what Aedes writes to one connection within a turn of the event loop in one system call.
 *
 * Aedes writes each packet through mqtt-packet, which corks the stream and uncorks it on the next tick: every
 * PUBACK and every delivery costs a `writev` of its own, a large share of the broker's time under load (a commit's
 * fan-out writes hundreds of packets to one subscriber in a turn). Here the first cork of a turn schedules one
 * flush for the loop's check phase and the uncorks only count, so the packets of the whole turn leave together.
 * The flush is queued at the cork, before anything Aedes queues after its write (closing the connection once a
 * refused CONNACK is written, for example): a close never drops what was written before it.
 */
export function coalesceWrites(stream: Duplex): void {
  const cork = stream.cork.bind(stream);
  const uncork = stream.uncork.bind(stream);
  let corks = 0;
  const flush = (): void => {
    const n = corks;
    corks = 0;
    for (let i = 0; i < n; i++) uncork();
  };
  stream.cork = () => {
    cork();
    corks += 1;
    if (corks === 1) setImmediate(flush);
  };
  // Every uncork pairs with a cork already counted: the flush undoes them all at once.
  stream.uncork = () => {};
  // end() uncorks through `uncork`, which no longer does: what is held back goes first.
  const end = stream.end.bind(stream) as (...args: unknown[]) => Duplex;
  stream.end = ((...args: unknown[]) => {
    flush();
    return end(...args);
  }) as Duplex['end'];
  flushes.set(stream, flush);
}

/** Hands what a coalescing stream holds back to the socket now (the scheduled flush then finds nothing to do). */
export function flushWrites(stream: Duplex): void {
  flushes.get(stream)?.();
}
