import type Database from 'better-sqlite3';

/** What to remove from the event log; an event goes if it matches either criterion and is at or below `maxOffset`. */
export interface PruneRequest {
  /** The highest offset that may be removed: the scheduler's checkpoint (every event up to it is processed). */
  maxOffset: number;
  /** Remove events created before this time (ms since the epoch). */
  createdBefore?: number;
  /** Remove the events of each namespace beyond its newest N. */
  keepPerNamespace?: number;
  /** Count only. */
  dryRun?: boolean;
}

export interface PruneResult {
  removed: number;
  byNamespace: { namespace: string; removed: number }[];
  maxOffset: number;
  dryRun: boolean;
}

/** Rows removed per transaction: appends wait for one batch at most, never for a whole prune. */
export const PRUNE_BATCH = 5_000;

/**
 * Prunes the event log on the connection that owns it (the writer thread), a batch per transaction, keeping the
 * per-(namespace, key, sender) counters exact. Offsets are never reused after a prune: the table is AUTOINCREMENT, so
 * `sqlite_sequence` keeps the highest offset ever given, and the newest event is never below the checkpoint's
 * successor anyway.
 */
export class EventLogPruner {
  readonly #db: Database.Database;
  readonly #namespaces: Database.Statement;
  readonly #lastBefore: Database.Statement;
  readonly #nthNewest: Database.Statement;
  readonly #count: Database.Statement;
  readonly #batch: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #uncount: Database.Statement;
  readonly #dropEmptyCounts: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#namespaces = db.prepare('SELECT DISTINCT namespace FROM event_counts ORDER BY namespace');
    // createTime never decreases with the offset: the last event before a time ends the prefix to remove.
    this.#lastBefore = db.prepare(
      'SELECT offset FROM events WHERE create_time < ? ORDER BY create_time DESC, offset DESC LIMIT 1',
    );
    this.#nthNewest = db.prepare(
      'SELECT offset FROM events WHERE namespace = ? ORDER BY offset DESC LIMIT 1 OFFSET ?',
    );
    this.#count = db.prepare('SELECT COUNT(*) AS n FROM events WHERE namespace = ? AND offset <= ?');
    this.#batch = db.prepare(
      'SELECT offset, key, sender FROM events WHERE namespace = ? AND offset <= ? ORDER BY offset LIMIT ?',
    );
    this.#delete = db.prepare('DELETE FROM events WHERE namespace = ? AND offset BETWEEN ? AND ?');
    this.#uncount = db.prepare(
      'UPDATE event_counts SET count = count - ? WHERE namespace = ? AND key = ? AND sender = ?',
    );
    this.#dropEmptyCounts = db.prepare('DELETE FROM event_counts WHERE namespace = ? AND count <= 0');
  }

  /** The highest offset to remove in each namespace (absent: nothing to remove there). */
  bounds(request: PruneRequest): Map<string, number> {
    const byTime =
      request.createdBefore === undefined
        ? 0
        : ((this.#lastBefore.get(request.createdBefore) as { offset: number } | undefined)?.offset ?? 0);
    const bounds = new Map<string, number>();
    for (const { namespace } of this.#namespaces.all() as { namespace: string }[]) {
      const byCount =
        request.keepPerNamespace === undefined
          ? 0
          : ((this.#nthNewest.get(namespace, request.keepPerNamespace) as { offset: number } | undefined)
              ?.offset ?? 0);
      const bound = Math.min(request.maxOffset, Math.max(byTime, byCount));
      if (bound > 0) bounds.set(namespace, bound);
    }
    return bounds;
  }

  count(namespace: string, bound: number): number {
    return (this.#count.get(namespace, bound) as { n: number }).n;
  }

  /** Removes the oldest batch of `namespace` up to `bound` in one transaction; returns how many went (0: done). */
  removeBatch(namespace: string, bound: number): number {
    return this.#db.transaction(() => {
      const rows = this.#batch.all(namespace, bound, PRUNE_BATCH) as {
        offset: number;
        key: string;
        sender: string;
      }[];
      if (rows.length === 0) return 0;
      const groups = new Map<string, { key: string; sender: string; n: number }>();
      for (const row of rows) {
        const group = JSON.stringify([row.key, row.sender]);
        const entry = groups.get(group);
        if (entry) entry.n++;
        else groups.set(group, { key: row.key, sender: row.sender, n: 1 });
      }
      this.#delete.run(namespace, rows[0]!.offset, rows.at(-1)!.offset);
      for (const g of groups.values()) this.#uncount.run(g.n, namespace, g.key, g.sender);
      this.#dropEmptyCounts.run(namespace);
      return rows.length;
    })();
  }
}
