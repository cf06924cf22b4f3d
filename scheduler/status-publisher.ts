import type { Logger } from '../broker/logger.ts';
import { toAIFlowError } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import type { SchedulerConnection } from './scheduler-connection.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type { OutboxRecord } from './store/records.ts';
import { TransitionLog } from './transition-log.ts';

const RETRY_MS = 1_000;
/** Requests in flight: the broker stores one client's requests in the order they arrive. */
const WINDOW = 16;
/**
 * Bytes of events in one request, at most: below the broker's frame allowance on top of its payload limit, so a
 * request is never refused for its size whatever payload limit the server has.
 */
const BATCH_BYTES = 48 * 1024;

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
  }

  #flush(): Promise<void> {
    if (!this.#connection || this.#closed) return Promise.resolve();
    this.#running ??= this.#drain(this.#connection).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #drain(connection: SchedulerConnection): Promise<void> {
    while (this.#pending.length > 0 && !this.#closed) {
      const batches = nextBatches(this.#pending, WINDOW);
      const results = await Promise.allSettled(
        batches.map((batch) =>
          connection.sendStatuses(batch.map((record) => ({ ...record, id: record.eventId }))),
        ),
      );
      const failed = results.findIndex((r) => r.status === 'rejected');
      const stored = batches.slice(0, failed === -1 ? batches.length : failed).flat();
      if (stored.length > 0) {
        await this.#store.deleteOutbox(stored.map((r) => r.id));
        this.#pending.splice(0, stored.length);
      }
      if (failed !== -1) {
        if (this.#closed) return;
        const failure = results[failed] as PromiseRejectedResult;
        this.#logger.warn('status events not published yet, will retry', {
          key: batches[failed]![0]!.key,
          events: batches[failed]!.length,
          reason: toAIFlowError(failure.reason).message,
        });
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => void this.#flush(), RETRY_MS);
        return;
      }
    }
  }
}

/** Up to `count` consecutive batches from the head of `pending`, each within BATCH_BYTES and LIMITS.maxSendBatch. */
export function nextBatches(pending: readonly OutboxRecord[], count: number): OutboxRecord[][] {
  const batches: OutboxRecord[][] = [];
  let i = 0;
  while (batches.length < count && i < pending.length) {
    const batch: OutboxRecord[] = [];
    let bytes = 0;
    while (i < pending.length && batch.length < LIMITS.maxSendBatch) {
      const size = recordBytes(pending[i]!);
      // One event always makes a batch, whatever its size (alone, it is what `events.send` would carry).
      if (batch.length > 0 && bytes + size > BATCH_BYTES) break;
      batch.push(pending[i]!);
      bytes += size;
      i++;
    }
    batches.push(batch);
  }
  return batches;
}

/** What a record weighs in a request: its fields as JSON, escapes and UTF-8 included, plus the sender. */
function recordBytes(r: OutboxRecord): number {
  return Buffer.byteLength(JSON.stringify(r)) + 64;
}
