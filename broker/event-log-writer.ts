import type Database from 'better-sqlite3';
import type { Event } from '../protocol/event.ts';
import type { SendParams } from '../protocol/rpc.ts';

/** What a producer hands the log; the log adds offset and createTime. */
export interface AppendInput extends SendParams {
  sender: string;
}

/** The outcome of one append as the writer reports it: what the caller cannot compute itself. */
export type WrittenEvent =
  { duplicate: false; offset: number; createTime: number } | { duplicate: true; event: Event };

export interface EventRow {
  offset: number;
  key: string;
  value: string;
  namespace: string;
  sender: string;
  context: string | null;
  create_time: number;
}

export const EVENT_COLUMNS = 'offset, key, value, namespace, sender, context, create_time';

export function toEvent(row: EventRow): Event {
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
 * Writes one batch of appends in one transaction: the events, and the counters per (namespace, key, sender).
 * Runs on the thread that owns the database connection.
 */
export class EventLogWriter {
  readonly #findByIdempotencyId: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #addToCount: Database.Statement;
  readonly #writeBatch: (batch: AppendInput[]) => WrittenEvent[];
  #lastCreateTime: number;

  constructor(db: Database.Database) {
    this.#findByIdempotencyId = db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE idempotency_id = ?`);
    this.#insert = db.prepare(
      'INSERT INTO events (namespace, key, value, sender, context, create_time, idempotency_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#addToCount = db.prepare(
      `INSERT INTO event_counts (namespace, key, sender, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (namespace, key, sender) DO UPDATE SET count = count + excluded.count`,
    );
    const row = db.prepare('SELECT MAX(create_time) AS t FROM events').get() as { t: number | null };
    this.#lastCreateTime = row.t ?? 0;
    this.#writeBatch = db.transaction((batch: AppendInput[]) => {
      const counts = new Map<string, { input: AppendInput; count: number }>();
      const written = batch.map((input) => {
        const result = this.#insertOne(input);
        if (!result.duplicate) {
          const group = JSON.stringify([input.namespace, input.key, input.sender]);
          const entry = counts.get(group);
          if (entry) entry.count++;
          else counts.set(group, { input, count: 1 });
        }
        return result;
      });
      for (const { input, count } of counts.values()) {
        this.#addToCount.run(input.namespace, input.key, input.sender, count);
      }
      return written;
    });
  }

  /** All or nothing: throws (and writes nothing) when the transaction fails. */
  write(batch: AppendInput[]): WrittenEvent[] {
    const before = this.#lastCreateTime;
    try {
      return this.#writeBatch(batch);
    } catch (error) {
      this.#lastCreateTime = before;
      throw error;
    }
  }

  #insertOne(input: AppendInput): WrittenEvent {
    if (input.idempotencyId !== undefined) {
      const existing = this.#findByIdempotencyId.get(input.idempotencyId) as EventRow | undefined;
      if (existing) return { duplicate: true, event: toEvent(existing) };
    }
    // The server clock may step back; createTime must not, so that time → offset is an index seek.
    const createTime = Math.max(Date.now(), this.#lastCreateTime);
    const info = this.#insert.run(
      input.namespace,
      input.key,
      input.value,
      input.sender,
      input.context ?? null,
      createTime,
      input.idempotencyId ?? null,
    );
    this.#lastCreateTime = createTime;
    return { duplicate: false, offset: Number(info.lastInsertRowid), createTime };
  }
}
