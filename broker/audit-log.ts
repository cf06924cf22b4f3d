import Database from 'better-sqlite3';

/** One recorded change or refusal. */
export interface AuditEntry {
  /** Increasing: the order things were recorded in. */
  seq: number;
  /** ms since the epoch */
  time: number;
  /** The identity name (user, token, `anonymous`, or the name a refused login gave). */
  identity: string;
  /** The MQTT client id. */
  client: string;
  /** The peer's address, when the connection has one. */
  remote: string | null;
  /** The request method, or `login`. */
  action: string;
  /** The namespace the params name, if any. */
  namespace: string | null;
  /** The params that say what was acted on (ids, names, flags): never passwords, tokens, sources or values. */
  target: Record<string, unknown>;
  /** `ok`, or the error code. */
  outcome: string;
  /** Why a login was refused; null otherwise. */
  detail: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'seq'>;

export interface AuditFilter {
  user?: string;
  action?: string;
  namespace?: string;
  /** Entries with `time >= since`. */
  since?: number;
  limit: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  identity TEXT NOT NULL,
  client TEXT NOT NULL,
  remote TEXT,
  action TEXT NOT NULL,
  namespace TEXT,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT
);
`;

/**
 * The audit trail's table, in the access database (its own connection to the file). Entries are queued and written
 * in one transaction per turn of the event loop, so a burst of refusals costs one commit, not one each; the table
 * keeps the newest `maxEntries` rows (older ones are deleted after each write).
 */
export class AuditLog {
  readonly #db: Database.Database;
  readonly #maxEntries: number;
  #queue: NewAuditEntry[] = [];
  #flushScheduled = false;

  constructor(file: string, maxEntries: number) {
    this.#db = new Database(file);
    this.#db.exec(SCHEMA);
    this.#maxEntries = maxEntries;
  }

  record(entry: NewAuditEntry): void {
    if (!this.#db.open) return;
    this.#queue.push(entry);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is queued, then drops the oldest rows beyond the limit. */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#queue.length === 0 || !this.#db.open) return;
    const entries = this.#queue;
    this.#queue = [];
    const insert = this.#db.prepare(
      `INSERT INTO audit (time, identity, client, remote, action, namespace, target, outcome, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const prune = this.#db.prepare('DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?');
    this.#db.transaction(() => {
      for (const e of entries) {
        insert.run(
          e.time,
          e.identity,
          e.client,
          e.remote,
          e.action,
          e.namespace,
          JSON.stringify(e.target),
          e.outcome,
          e.detail,
        );
      }
      prune.run(this.#maxEntries);
    })();
  }

  /** The newest `limit` entries of a filter, oldest first. */
  list(filter: AuditFilter): AuditEntry[] {
    this.flush();
    const conditions = (
      [
        ['identity = ?', filter.user],
        ['action = ?', filter.action],
        ['namespace = ?', filter.namespace],
        ['time >= ?', filter.since],
      ] as const
    ).filter(([, value]) => value !== undefined);
    const where = conditions.length ? 'WHERE ' + conditions.map(([sql]) => sql).join(' AND ') : '';
    const args = conditions.map(([, value]) => value);
    const rows = this.#db
      .prepare(`SELECT * FROM audit ${where} ORDER BY seq DESC LIMIT ?`)
      .all(...args, filter.limit) as (Omit<AuditEntry, 'target'> & { target: string })[];
    return rows
      .reverse()
      .map((row) => ({ ...row, target: JSON.parse(row.target) as Record<string, unknown> }));
  }

  close(): void {
    if (!this.#db.open) return;
    this.flush();
    this.#db.close();
  }
}
