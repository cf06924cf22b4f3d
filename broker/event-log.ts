import { AIFlowError } from '../protocol/errors.ts';
import type { Event } from '../protocol/event.ts';
import { LIMITS } from '../protocol/limits.ts';
import type { EventFilter } from '../protocol/rpc.ts';
import type { FromThread, QueryRequest, QueryResults, WireError } from './event-log-protocol.ts';
import type { PruneRequest, PruneResult } from './event-log-pruner.ts';
import type { EventCount } from './event-log-queries.ts';
import type { AppendInput, WrittenEvent } from './event-log-writer.ts';
import { LogThread } from './log-thread.ts';
import { createLogger, type Logger } from './logger.ts';

export type { AppendInput } from './event-log-writer.ts';
export type { EventCount } from './event-log-queries.ts';
export type { PruneRequest, PruneResult } from './event-log-pruner.ts';

export interface AppendResult {
  event: Event;
  /** True when an event with the same idempotency id was already stored: nothing was written. */
  duplicate: boolean;
}

export interface EventLogOptions {
  /**
   * `full` syncs every group commit to disk (survives power loss); `normal` survives a killed process only.
   * @defaultValue 'full'
   */
  durability?: 'full' | 'normal';
  /** Where storage faults are reported. @defaultValue a logger writing `info` and above to stderr */
  logger?: Logger;
}

interface PendingAppend {
  input: AppendInput;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
}

interface PendingQuery {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

const fromWire = (error: WireError): AIFlowError => new AIFlowError(error.code, error.message);

/**
 * The durable, append-only event log (SQLite in WAL mode), kept off the thread that serves MQTT sockets.
 * A writer thread owns the file and group-commits: every append posted while a commit (and its disk sync) runs
 * joins the next transaction. A reader thread answers queries on a read-only connection, so a query never waits
 * for, nor delays, a commit. Offsets come from AUTOINCREMENT: strictly increasing, never reused.
 * Once the file is removed, replaced or damaged, or a thread dies, every append fails with STORAGE_FAILED.
 */
export class EventLog {
  readonly #writer: LogThread;
  readonly #reader: LogThread;
  readonly #logger: Logger;
  readonly #committedListeners: ((events: Event[]) => void)[] = [];
  readonly #appends = new Map<number, PendingAppend>();
  readonly #queries = new Map<number, PendingQuery>();
  #outgoing: { id: number; input: AppendInput }[] = [];
  #sendScheduled = false;
  #nextId = 1;
  /** Why appends are refused for good (storage lost, writer dead); null while healthy. */
  #appendFailure: AIFlowError | null = null;
  #queryFailure: AIFlowError | null = null;
  #closing: Promise<void> | undefined;
  #headOffset = 0;

  private constructor(writer: LogThread, reader: LogThread, logger: Logger) {
    this.#writer = writer;
    this.#reader = reader;
    this.#logger = logger;
    writer.listen(
      (message) => this.#fromWriter(message),
      (error) => this.#writerDied(error),
    );
    reader.listen(
      (message) => this.#fromReader(message),
      (error) => this.#readerDied(error),
    );
  }

  /**
   * Opens (creating or upgrading) the log file. Rejects with STORAGE_FAILED when the file cannot be opened or is
   * damaged (`PRAGMA quick_check`).
   */
  static async open(file: string, options: EventLogOptions = {}): Promise<EventLog> {
    const durability = options.durability ?? 'full';
    // Both threads boot in parallel; the writer opens first: it creates or upgrades the file that the reader then
    // opens read-only.
    const writer = LogThread.start({ file, role: 'writer', durability });
    const reader = LogThread.start({ file, role: 'reader', durability });
    const log = new EventLog(writer, reader, options.logger ?? createLogger());
    try {
      await writer.open();
      await reader.open();
      log.#headOffset = await log.timeToOffset();
    } catch (error) {
      await Promise.all([writer.close(), reader.close()]);
      throw error;
    }
    return log;
  }

  /** The offset of the last event stored (0 for an empty log). */
  get headOffset(): number {
    return this.#headOffset;
  }

  /**
   * Why appends are refused (the writer thread died, the file was removed, replaced or damaged, or the log is
   * closed); null while the log is writable.
   */
  get writeFailure(): string | null {
    if (this.#closing) return 'the event log is closed';
    return this.#appendFailure?.message ?? null;
  }

  /** Called on the main thread after each commit with the newly stored events, in offset order. */
  onCommitted(listener: (events: Event[]) => void): void {
    this.#committedListeners.push(listener);
  }

  /** Resolves once the event is durably stored (or found stored under the same idempotency id). */
  append(input: AppendInput): Promise<AppendResult> {
    if (this.#closing) return Promise.reject(new AIFlowError('STORAGE_FAILED', 'the event log is closed'));
    if (this.#appendFailure) return Promise.reject(this.#appendFailure);
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#appends.set(id, { input, resolve, reject });
      this.#outgoing.push({ id, input });
      if (!this.#sendScheduled) {
        this.#sendScheduled = true;
        // One message per turn of the loop: every publish read in this turn travels to the writer together.
        setImmediate(() => this.#sendAppends());
      }
    });
  }

  /** Events matching the filter, ordered by offset, at most `limit`. */
  list(filter: EventFilter, limit: number = LIMITS.defaultListLimit): Promise<Event[]> {
    return this.#query({ op: 'list', filter, limit });
  }

  count(filter: EventFilter): Promise<EventCount> {
    return this.#query({ op: 'count', filter });
  }

  /** Largest offset whose createTime <= time, 0 if none; without a time, the latest offset. */
  timeToOffset(time?: number): Promise<number> {
    return this.#query(time === undefined ? { op: 'timeToOffset' } : { op: 'timeToOffset', time });
  }

  /**
   * Removes old events on the writer thread, a batch per transaction (appends go on meanwhile), never above
   * `request.maxOffset`; with `dryRun`, counts what would go.
   */
  prune(request: PruneRequest): Promise<PruneResult> {
    if (this.#closing) return Promise.reject(new AIFlowError('STORAGE_FAILED', 'the event log is closed'));
    if (this.#appendFailure) return Promise.reject(this.#appendFailure);
    return new Promise<PruneResult>((resolve, reject) => {
      const id = this.#nextId++;
      this.#queries.set(id, { resolve: resolve as (value: never) => void, reject });
      this.#writer.post({ type: 'prune', id, request });
    });
  }

  /** Stops accepting appends, commits what is pending, closes the file. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#sendAppends();
      // The reader first: the last connection to close checkpoints the WAL into the file, and only the writer can.
      await this.#reader.close();
      await this.#writer.close();
      const closed = new AIFlowError('STORAGE_FAILED', 'the event log is closed');
      this.#failAppends([...this.#appends.keys()], closed);
      this.#failQueries(closed);
    })();
    return this.#closing;
  }

  #sendAppends(): void {
    this.#sendScheduled = false;
    if (this.#outgoing.length === 0) return;
    this.#writer.post({ type: 'append', batch: this.#outgoing });
    this.#outgoing = [];
  }

  #query<K extends QueryRequest['op']>(request: QueryRequest & { op: K }): Promise<QueryResults[K]> {
    if (this.#closing) return Promise.reject(new AIFlowError('STORAGE_FAILED', 'the event log is closed'));
    if (this.#queryFailure) return Promise.reject(this.#queryFailure);
    return new Promise<QueryResults[K]>((resolve, reject) => {
      const id = this.#nextId++;
      this.#queries.set(id, { resolve: resolve as (value: never) => void, reject });
      this.#reader.post({ type: 'query', id, request });
    });
  }

  #fromWriter(message: FromThread): void {
    switch (message.type) {
      case 'answer':
      case 'query-failed':
        return this.#fromReader(message);
      case 'committed':
        return this.#committed(message.ids, message.written);
      case 'append-failed':
        return this.#failAppends(message.ids, fromWire(message.error));
      case 'storage-lost':
        this.#appendFailure = new AIFlowError('STORAGE_FAILED', message.reason);
        this.#logger.error('event log storage lost: no publish is acknowledged any more', {
          code: 'STORAGE_FAILED',
          reason: message.reason,
        });
        return;
    }
  }

  #committed(ids: number[], written: WrittenEvent[]): void {
    const results = ids.map((id, i): [PendingAppend, AppendResult] => {
      const append = this.#appends.get(id)!;
      this.#appends.delete(id);
      const w = written[i]!;
      if (w.duplicate) return [append, { event: w.event, duplicate: true }];
      const { namespace, key, value, sender } = append.input;
      const context = append.input.context ?? null;
      const event = { offset: w.offset, key, value, namespace, sender, context, createTime: w.createTime };
      return [append, { event, duplicate: false }];
    });
    const stored = results.filter(([, r]) => !r.duplicate).map(([, r]) => r.event);
    if (stored.length > 0) {
      this.#headOffset = Math.max(this.#headOffset, stored[stored.length - 1]!.offset);
      for (const listener of this.#committedListeners) {
        try {
          listener(stored);
        } catch (error) {
          this.#logger.error('commit listener failed', { reason: (error as Error).message });
        }
      }
    }
    for (const [append, result] of results) append.resolve(result);
  }

  #fromReader(message: FromThread): void {
    if (message.type !== 'answer' && message.type !== 'query-failed') return;
    const query = this.#queries.get(message.id);
    if (!query) return;
    this.#queries.delete(message.id);
    if (message.type === 'answer') query.resolve(message.value as never);
    else query.reject(fromWire(message.error));
  }

  #writerDied(error: AIFlowError): void {
    this.#appendFailure = error;
    this.#logger.error('event log writer stopped: no publish is acknowledged any more', {
      code: error.code,
      reason: error.message,
    });
    this.#outgoing = [];
    this.#failAppends([...this.#appends.keys()], error);
  }

  #readerDied(error: AIFlowError): void {
    this.#queryFailure = error;
    this.#logger.error('event log reader stopped: queries fail', { code: error.code, reason: error.message });
    this.#failQueries(error);
  }

  #failAppends(ids: number[], error: AIFlowError): void {
    for (const id of ids) {
      this.#appends.get(id)?.reject(error);
      this.#appends.delete(id);
    }
  }

  #failQueries(error: AIFlowError): void {
    for (const query of this.#queries.values()) query.reject(error);
    this.#queries.clear();
  }
}
