import Database from 'better-sqlite3';
import { AIFlowError } from '../protocol/errors.ts';
import type { Event } from '../protocol/event.ts';
import { LIMITS } from '../protocol/limits.ts';
import type { EventFilter, SendParams, SenderCount } from '../protocol/rpc.ts';

/** What a producer hands the log; the log adds offset and createTime. */
export interface AppendInput extends SendParams {
  sender: string;
}

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
}

interface Pending {
  input: AppendInput;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
}

interface EventRow {
  offset: number;
  key: string;
  value: string;
  namespace: string;
  sender: string;
  context: string | null;
  create_time: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  offset INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  sender TEXT NOT NULL,
  context TEXT,
  create_time INTEGER NOT NULL,
  idempotency_id TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS events_by_key ON events (namespace, key, offset);
CREATE INDEX IF NOT EXISTS events_by_time ON events (create_time);
`;

const COLUMNS = 'offset, key, value, namespace, sender, context, create_time';

function toEvent(row: EventRow): Event {
  return {
    offset: row.offset,
    key: row.key,
    value: row.value,
    namespace: row.namespace,
    sender: row.sender,
    context: row.context,
    createTime: row.create_time,
  };
}

/**
 * The durable, append-only event log (SQLite in WAL mode). Appends are group-committed: every append made while
 * the previous commit runs joins the next transaction, so one disk sync serves many events.
 * Offsets come from AUTOINCREMENT, so they strictly increase and are never reused.
 */
export class EventLog {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #committedListeners: ((events: Event[]) => void)[] = [];
  #pending: Pending[] = [];
  #flushScheduled = false;
  #lastCreateTime: number;
  #closed = false;

  private constructor(db: Database.Database) {
    this.#db = db;
    const row = db.prepare('SELECT MAX(create_time) AS t FROM events').get() as { t: number | null };
    this.#lastCreateTime = row.t ?? 0;
  }

  static open(file: string, options: EventLogOptions = {}): EventLog {
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.exec(SCHEMA);
    } catch (error) {
      throw new AIFlowError(
        'STORAGE_FAILED',
        `cannot open the event log ${file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return new EventLog(db);
  }

  /** Called synchronously after each commit with the newly stored events, in offset order. */
  onCommitted(listener: (events: Event[]) => void): void {
    this.#committedListeners.push(listener);
  }

  /** Resolves once the event is durably stored (or found stored under the same idempotency id). */
  append(input: AppendInput): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new AIFlowError('STORAGE_FAILED', 'the event log is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let results: AppendResult[];
    try {
      results = this.#db.transaction(() => batch.map((p) => this.#insert(p.input)))();
    } catch (error) {
      const failure = new AIFlowError('STORAGE_FAILED', `append failed: ${(error as Error).message}`, {
        cause: error,
      });
      for (const p of batch) p.reject(failure);
      return;
    }
    const stored = results.filter((r) => !r.duplicate).map((r) => r.event);
    if (stored.length > 0) for (const listener of this.#committedListeners) listener(stored);
    batch.forEach((p, i) => p.resolve(results[i]!));
  }

  #insert(input: AppendInput): AppendResult {
    if (input.idempotencyId !== undefined) {
      const existing = this.#statement(`SELECT ${COLUMNS} FROM events WHERE idempotency_id = ?`).get(
        input.idempotencyId,
      ) as EventRow | undefined;
      if (existing) return { event: toEvent(existing), duplicate: true };
    }
    // The server clock may step back; createTime must not, so that time → offset is well defined.
    const createTime = Math.max(Date.now(), this.#lastCreateTime);
    const context = input.context ?? null;
    const info = this.#statement(
      'INSERT INTO events (namespace, key, value, sender, context, create_time, idempotency_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(
      input.namespace,
      input.key,
      input.value,
      input.sender,
      context,
      createTime,
      input.idempotencyId ?? null,
    );
    this.#lastCreateTime = createTime;
    const event: Event = {
      offset: Number(info.lastInsertRowid),
      key: input.key,
      value: input.value,
      namespace: input.namespace,
      sender: input.sender,
      context,
      createTime,
    };
    return { event, duplicate: false };
  }

  /** Events matching the filter, ordered by offset, at most `limit`. */
  list(filter: EventFilter, limit: number = LIMITS.defaultListLimit): Event[] {
    const { where, args } = whereClause(filter);
    const rows = this.#statement(`SELECT ${COLUMNS} FROM events ${where} ORDER BY offset LIMIT ?`).all(
      ...args,
      limit,
    ) as EventRow[];
    return rows.map(toEvent);
  }

  count(filter: EventFilter): { total: number; bySender: SenderCount[] } {
    const { where, args } = whereClause(filter);
    const bySender = this.#statement(
      `SELECT sender, COUNT(*) AS count FROM events ${where} GROUP BY sender ORDER BY sender`,
    ).all(...args) as SenderCount[];
    return { total: bySender.reduce((sum, s) => sum + s.count, 0), bySender };
  }

  /** Largest offset whose createTime <= time, 0 if none; without a time, the latest offset. */
  timeToOffset(time?: number): number {
    const row =
      time === undefined
        ? this.#statement('SELECT MAX(offset) AS o FROM events').get()
        : this.#statement('SELECT MAX(offset) AS o FROM events WHERE create_time <= ?').get(time);
    return (row as { o: number | null }).o ?? 0;
  }

  /** Stops accepting appends, commits what is pending, closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    this.#db.close();
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

function whereClause(filter: EventFilter): { where: string; args: (string | number)[] } {
  const clauses: string[] = [];
  const args: (string | number)[] = [];
  if (filter.namespace !== undefined) {
    clauses.push('namespace = ?');
    args.push(filter.namespace);
  }
  if (filter.keys !== undefined && filter.keys.length > 0) {
    clauses.push(`key IN (${filter.keys.map(() => '?').join(', ')})`);
    args.push(...filter.keys);
  }
  if (filter.sender !== undefined) {
    clauses.push('sender = ?');
    args.push(filter.sender);
  }
  if (filter.beginOffset !== undefined) {
    clauses.push('offset > ?');
    args.push(filter.beginOffset);
  }
  if (filter.endOffset !== undefined) {
    clauses.push('offset <= ?');
    args.push(filter.endOffset);
  }
  if (filter.beginTime !== undefined) {
    clauses.push('create_time >= ?');
    args.push(filter.beginTime);
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', args };
}
