import type { Logger } from '../broker/logger.ts';
import { toAIFlowError } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import type { SchedulerConnection } from './scheduler-connection.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type { OutboxRecord } from './store/records.ts';
import { TransitionLog } from './transition-log.ts';

const RETRY_MS = 1_000;
/**
 * Requests in flight: the broker stores one client's requests in the order they arrive. Few, so that a burst of
 * status events (one event to 10,000 executions) reaches the event log a few commits at a time and other clients'
 * publishes are stored between them; a new request leaves as soon as the oldest is answered.
 */
const WINDOW = 2;
/**
 * Bytes of events in one request, at most: below the broker's frame allowance on top of its payload limit, so a
 * request is never refused for its size whatever payload limit the server has.
 */
const BATCH_BYTES = 48 * 1024;
/** Stored events leave the outbox when no request is in flight, or once this many are waiting to. */
const FORGET_EVERY = 2_000;

/**
 * Publishes committed status events (the outbox) in commit order, so that subscribers see a task's statuses in
 * the order they happened. Events travel in batches (`events.sendBatch`: one request, one reply and one event-log
 * commit for many events) with a few batches in flight; stored ones are deleted from the outbox together. A failed
 * batch stays first in line and is tried again whole: the stable event ids make a repeat a no-op for the broker.
 */
export class StatusPublisher {
  readonly #store: MetadataStore;
  readonly #logger: Logger;
  readonly #transitions: TransitionLog;
  #connection: SchedulerConnection | null = null;
  readonly #pending: OutboxRecord[] = [];
  /** Records at the head of #pending already in a request. */
  #queued = 0;
  /** Set once a request of the current drain failed, until the next drain tries again. */
  #failing = false;
  /** Resolved once nothing committed waits for a request any more (see `caughtUp`). */
  #caughtUp: { promise: Promise<void>; resolve: () => void } | null = null;
  #running: Promise<void> | null = null;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(store: MetadataStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
    this.#transitions = new TransitionLog(store, logger);
  }

  /** Starts publishing through `connection` (events committed before it existed included). */
  attach(connection: SchedulerConnection): Promise<void> {
    this.#connection = connection;
    return this.#flush();
  }

  /** Publishes status events just committed; each is also logged as a transition (see {@link TransitionLog}). */
  publish(records: OutboxRecord[]): Promise<void> {
    this.#transitions.record(records);
    this.#pending.push(...records);
    return this.#flush();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#release();
  }

  /**
   * Null when every status event committed so far is in a request; otherwise resolves once they all are. The
   * engine waits on it before a turn: while the broker is behind, new inputs would only queue their events behind
   * these, and their handling would take the processor from the replies that let the next requests leave (so the
   * status events of one input to N executions reach the log later). A publisher whose request failed and that waits
   * to try again holds nothing back, nor does a closed one.
   */
  caughtUp(): Promise<void> | null {
    if (!this.#behind()) return null;
    if (!this.#caughtUp) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#caughtUp = { promise, resolve };
    }
    return this.#caughtUp.promise;
  }

  #behind(): boolean {
    return (
      !this.#closed && !this.#failing && this.#connection !== null && this.#queued < this.#pending.length
    );
  }

  #release(): void {
    if (this.#behind() || !this.#caughtUp) return;
    this.#caughtUp.resolve();
    this.#caughtUp = null;
  }

  #flush(): Promise<void> {
    if (!this.#connection || this.#closed) return Promise.resolve();
    this.#running ??= this.#drain(this.#connection).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /**
   * A sliding window: up to WINDOW requests in flight, the next one sent as soon as the oldest is answered (no
   * round waits for its slowest request). Answered batches leave the outbox together, after the next requests are
   * on their way. A failed request stops the sending; once the rest have settled, what follows the last batch
   * stored in order is tried again.
   */
  async #drain(connection: SchedulerConnection): Promise<void> {
    const inFlight: { batch: OutboxRecord[]; sent: Promise<void> }[] = [];
    this.#queued = 0;
    this.#failing = false;
    let answered: OutboxRecord[] = [];
    const fill = () => {
      while (!this.#failing && inFlight.length < WINDOW && this.#queued < this.#pending.length) {
        const batch = nextBatch(this.#pending, this.#queued);
        this.#queued += batch.length;
        const sent = connection.sendStatuses(batch.map((record) => ({ ...record, id: record.eventId })));
        sent.catch(() => undefined); // observed below, in order
        inFlight.push({ batch, sent });
      }
      this.#release();
    };
    while (!this.#closed) {
      fill();
      const oldest = inFlight.shift();
      if (!oldest) break;
      try {
        await oldest.sent;
        if (!this.#failing) answered.push(...oldest.batch);
      } catch (error) {
        if (!this.#failing) this.#reportFailure(oldest.batch, error);
        this.#failing = true;
        this.#release();
      }
      fill(); // the next requests leave before the outbox delete
      if (answered.length > 0 && (inFlight.length === 0 || answered.length >= FORGET_EVERY)) {
        await this.#forget(answered);
        this.#queued -= answered.length;
        answered = [];
      }
    }
    if (this.#failing && !this.#closed) {
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => void this.#flush(), RETRY_MS);
    }
  }

  /** Stored batches (the head of #pending, in order) leave the outbox. */
  async #forget(stored: OutboxRecord[]): Promise<void> {
    await this.#store.deleteOutbox(stored.map((r) => r.id));
    this.#pending.splice(0, stored.length);
  }

  #reportFailure(batch: OutboxRecord[], error: unknown): void {
    this.#logger.warn('status events not published yet, will retry', {
      key: batch[0]!.key,
      events: batch.length,
      reason: toAIFlowError(error).message,
    });
  }
}

/** The batch that starts at `from` in `pending`: within BATCH_BYTES and LIMITS.maxSendBatch, in outbox order. */
export function nextBatch(pending: readonly OutboxRecord[], from: number): OutboxRecord[] {
  const batch: OutboxRecord[] = [];
  let bytes = 0;
  for (let i = from; i < pending.length && batch.length < LIMITS.maxSendBatch; i++) {
    const size = recordBytes(pending[i]!);
    // One event always makes a batch, whatever its size (alone, it is what `events.send` would carry).
    if (batch.length > 0 && bytes + size > BATCH_BYTES) break;
    batch.push(pending[i]!);
    bytes += size;
  }
  return batch;
}

/** What a record weighs in a request: its fields as JSON, escapes and UTF-8 included, plus the sender. */
function recordBytes(r: OutboxRecord): number {
  return Buffer.byteLength(JSON.stringify(r)) + 64;
}
