import type Database from 'better-sqlite3';
import type { Event } from '../protocol/event.ts';
import type { EventFilter, SenderCount } from '../protocol/rpc.ts';
import { EVENT_COLUMNS, toEvent, type EventRow } from './event-log-writer.ts';

export interface EventCount {
  total: number;
  bySender: SenderCount[];
}

type Arg = string | number;

/** An offset range `(after, upTo]`: every filter on offsets or time is turned into one. */
interface OffsetRange {
  after: number;
  upTo: number;
}

/**
 * The log's read queries, each costing O(result) (see "Event log" in the README):
 * - a page without a key walks the rowid, or the (namespace, offset) index, from the lower bound;
 * - a page with keys reads each (namespace, key) run of the key index from the lower bound and merges them, so no
 *   query sorts more than `limit` rows per key;
 * - `createTime` never decreases, so a time bound is one seek in the time index, turned into an offset bound;
 * - a count without an offset or time bound sums the per-(namespace, key, sender) counters; with a bound it counts
 *   the index range, which costs O(events in the range).
 */
export class EventLogQueries {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Events matching the filter, ordered by offset, at most `limit`. */
  list(filter: EventFilter, limit: number): Event[] {
    const range = this.#range(filter);
    if (range.after >= range.upTo) return [];
    const keys = distinctKeys(filter);
    if (keys === null) return this.#page(filter.namespace, null, filter.sender, range, limit);
    const namespaces = filter.namespace !== undefined ? [filter.namespace] : this.#namespaces();
    const pages = namespaces.flatMap((namespace) =>
      keys.map((key) => this.#page(namespace, key, filter.sender, range, limit)),
    );
    return pages
      .flat()
      .sort((a, b) => a.offset - b.offset)
      .slice(0, limit);
  }

  count(filter: EventFilter): EventCount {
    const bounded =
      filter.beginOffset !== undefined || filter.endOffset !== undefined || filter.beginTime !== undefined;
    const bySender = bounded ? this.#countRange(filter) : this.#countAll(filter);
    return { total: bySender.reduce((sum, s) => sum + s.count, 0), bySender };
  }

  /** Largest offset whose createTime <= time, 0 if none; without a time, the latest offset. */
  timeToOffset(time?: number): number {
    if (time === undefined) return this.#offset('SELECT MAX(offset) AS offset FROM events');
    return this.#lastOffsetWhere('<=', time);
  }

  #page(
    namespace: string | undefined,
    key: string | null,
    sender: string | undefined,
    range: OffsetRange,
    limit: number,
  ): Event[] {
    const where: string[] = [];
    const args: Arg[] = [];
    if (namespace !== undefined) push(where, args, 'namespace = ?', namespace);
    if (key !== null) push(where, args, 'key = ?', key);
    if (sender !== undefined) push(where, args, 'sender = ?', sender);
    where.push('offset > ?', 'offset <= ?');
    args.push(range.after, range.upTo, limit);
    const rows = this.#statement(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY offset LIMIT ?`,
    ).all(...args) as EventRow[];
    return rows.map(toEvent);
  }

  #countAll(filter: EventFilter): SenderCount[] {
    const { where, args } = groupFilter(filter);
    return this.#statement(
      `SELECT sender, SUM(count) AS count FROM event_counts ${where} GROUP BY sender ORDER BY sender`,
    ).all(...args) as SenderCount[];
  }

  #countRange(filter: EventFilter): SenderCount[] {
    const range = this.#range(filter);
    if (range.after >= range.upTo) return [];
    const { where, args } = groupFilter(filter, ['offset > ?', 'offset <= ?']);
    return this.#statement(
      `SELECT sender, COUNT(*) AS count FROM events ${where} GROUP BY sender ORDER BY sender`,
    ).all(...args, range.after, range.upTo) as SenderCount[];
  }

  #range(filter: EventFilter): OffsetRange {
    let after = filter.beginOffset ?? 0;
    // createTime >= beginTime  ⟺  offset > the last offset created before beginTime (createTime never decreases).
    if (filter.beginTime !== undefined) after = Math.max(after, this.#lastOffsetWhere('<', filter.beginTime));
    return { after, upTo: filter.endOffset ?? Number.MAX_SAFE_INTEGER };
  }

  /** One seek in the time index: the newest event whose createTime compares to `time` as `operator` says. */
  #lastOffsetWhere(operator: '<' | '<=', time: number): number {
    return this.#offset(
      `SELECT offset FROM events WHERE create_time ${operator} ? ORDER BY create_time DESC, offset DESC LIMIT 1`,
      time,
    );
  }

  #offset(sql: string, ...args: Arg[]): number {
    const row = this.#statement(sql).get(...args) as { offset: number | null } | undefined;
    return row?.offset ?? 0;
  }

  /** Namespaces that have events: O(groups), from the counters. */
  #namespaces(): string[] {
    return this.#statement('SELECT DISTINCT namespace FROM event_counts').pluck().all() as string[];
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

function distinctKeys(filter: EventFilter): string[] | null {
  return filter.keys !== undefined && filter.keys.length > 0 ? [...new Set(filter.keys)] : null;
}

/** The namespace / key / sender part of a filter: columns both `events` and `event_counts` have. */
function groupFilter(filter: EventFilter, extra: string[] = []): { where: string; args: Arg[] } {
  const clauses: string[] = [];
  const args: Arg[] = [];
  if (filter.namespace !== undefined) push(clauses, args, 'namespace = ?', filter.namespace);
  const keys = distinctKeys(filter);
  if (keys !== null) {
    clauses.push(`key IN (${keys.map(() => '?').join(', ')})`);
    args.push(...keys);
  }
  if (filter.sender !== undefined) push(clauses, args, 'sender = ?', filter.sender);
  clauses.push(...extra);
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', args };
}

function push(clauses: string[], args: Arg[], clause: string, arg: Arg): void {
  clauses.push(clause);
  args.push(arg);
}
