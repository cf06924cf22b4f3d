import Database from 'better-sqlite3';
import type { LeaseClaim, LeaseRecord } from './metadata-store.ts';
import { readMetadataFile } from './read-only-file.ts';

/**
 * The scheduler lease in SQLite. Plain SQL that PostgreSQL runs as is: an upsert whose update only applies when
 * the lease expired (or names the token the caller proved dead), and updates conditional on the token.
 */
export const LEASE_SCHEMA = `
CREATE TABLE IF NOT EXISTS lease (
  name TEXT PRIMARY KEY, holder TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
  token INTEGER NOT NULL, expires_at INTEGER NOT NULL);
`;

const NAME = 'scheduler';

const ACQUIRE = `
INSERT INTO lease (name, holder, pid, host, token, expires_at) VALUES (@name, @holder, @pid, @host, 1, @expiresAt)
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, pid = excluded.pid, host = excluded.host,
  token = lease.token + 1, expires_at = excluded.expires_at
WHERE lease.expires_at <= @now OR lease.token = @replacing`;

const leaseOf = (r: Record<string, unknown>): LeaseRecord => ({
  holder: r.holder as string,
  pid: r.pid as number,
  host: r.host as string,
  token: r.token as number,
  expiresAt: r.expires_at as number,
});

export class SqliteLease {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  acquire(claim: LeaseClaim): LeaseRecord | { heldBy: LeaseRecord } {
    return this.#db.transaction(() => {
      const info = this.#db.prepare(ACQUIRE).run({
        name: NAME,
        holder: claim.holder,
        pid: claim.pid,
        host: claim.host,
        expiresAt: claim.now + claim.durationMs,
        now: claim.now,
        replacing: claim.replacing ?? -1,
      });
      const current = this.read()!;
      return info.changes === 1 ? current : { heldBy: current };
    })();
  }

  renew(holder: string, token: number, expiresAt: number): boolean {
    const info = this.#db
      .prepare('UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ? AND token = ?')
      .run(expiresAt, NAME, holder, token);
    return info.changes === 1;
  }

  release(holder: string, token: number): void {
    this.#db
      .prepare('UPDATE lease SET expires_at = 0 WHERE name = ? AND holder = ? AND token = ?')
      .run(NAME, holder, token);
  }

  read(): LeaseRecord | null {
    const row = this.#db.prepare('SELECT * FROM lease WHERE name = ?').get(NAME) as
      Record<string, unknown> | undefined;
    return row ? leaseOf(row) : null;
  }
}

/**
 * The lease as another process sees it (the broker checks the scheduler's fencing token against it): the
 * metadata file opened read-only for one query. Null when no scheduler ever took the lease.
 */
export function readLeaseFile(file: string): LeaseRecord | null {
  return readMetadataFile(file, (db) => new SqliteLease(db).read());
}
