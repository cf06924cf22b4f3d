import type { Logger } from '../broker/logger.ts';
import { toAIFlowError } from '../protocol/errors.ts';
import type { SchedulerConnection } from './scheduler-connection.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type { OutboxRecord } from './store/records.ts';
import { TransitionLog } from './transition-log.ts';

const RETRY_MS = 1_000;
const WINDOW = 32;

/**
 * Publishes committed status events (the outbox) one at a time, in commit order, so that subscribers see a task's
 * statuses in the order they happened. Each is deleted from the outbox once stored; a failed one stays first in
 * line and is tried again, and its stable event id makes a repeat a no-op for the broker.
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
      // A window of requests in flight: the broker stores one client's requests in the order they arrive.
      const batch = this.#pending.slice(0, WINDOW);
      const results = await Promise.allSettled(
        batch.map((record) => connection.sendStatus({ ...record, id: record.eventId })),
      );
      const stored = results.findIndex((r) => r.status === 'rejected');
      const done = stored === -1 ? batch.length : stored;
      if (done > 0) {
        await this.#store.deleteOutbox(batch.slice(0, done).map((r) => r.id));
        this.#pending.splice(0, done);
      }
      if (done < batch.length) {
        if (this.#closed) return;
        const failure = results[done] as PromiseRejectedResult;
        this.#logger.warn('status event not published yet, will retry', {
          key: batch[done]!.key,
          reason: toAIFlowError(failure.reason).message,
        });
        clearTimeout(this.#retry);
        this.#retry = setTimeout(() => void this.#flush(), RETRY_MS);
        return;
      }
    }
  }
}
