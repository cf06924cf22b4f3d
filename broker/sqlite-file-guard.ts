import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { AIFlowError } from '../protocol/errors.ts';

/** SQLite result codes that mean the file itself is not a sound database. */
const DAMAGE_CODES = /^SQLITE_(CORRUPT|NOTADB)/;

/** How often a guard re-checks its file when nothing else asks it to. */
export const FILE_CHECK_INTERVAL_MS = 250;

export function damagedFileError(file: string, detail: string, cause?: unknown): AIFlowError {
  return new AIFlowError(
    'STORAGE_FAILED',
    `${file} is damaged (${detail}); restore it from a backup or move it aside (see "Backup and repair" in the README)`,
    { cause },
  );
}

/** True for the errors SQLite raises when it reads a damaged file. */
export function isDamageError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DAMAGE_CODES.test(code);
}

/**
 * Runs `PRAGMA quick_check` (every page and B-tree structure, without cross-checking index contents) and throws
 * STORAGE_FAILED when the file is damaged, so a server never starts "healthy" on a file whose queries would fail.
 */
export function assertIntact(db: Database.Database, file: string): void {
  let rows: Record<string, unknown>[];
  try {
    rows = db.pragma('quick_check(5)') as Record<string, unknown>[];
  } catch (error) {
    if (isDamageError(error)) throw damagedFileError(file, (error as Error).message, error);
    throw error;
  }
  const problems = rows
    .flatMap((row) => String(Object.values(row)[0]).split('\n'))
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'ok');
  if (problems.length > 0) throw damagedFileError(file, problems.join('; '));
}

/**
 * The identity (device + inode) of a database file, taken at open. SQLite keeps writing to an open file descriptor
 * even after the file was removed or replaced, so without this check commits would be acknowledged into a file that
 * is gone at the next start.
 */
export class FileIdentity {
  readonly #file: string;
  readonly #dev: number;
  readonly #ino: number;

  private constructor(file: string, dev: number, ino: number) {
    this.#file = file;
    this.#dev = dev;
    this.#ino = ino;
  }

  static capture(file: string): FileIdentity {
    const stat = statSync(file);
    return new FileIdentity(file, stat.dev, stat.ino);
  }

  /** Why the file on disk is no longer the one that was opened, or null when it still is. One `stat` call. */
  lostReason(): string | null {
    const stat = statSync(this.#file, { throwIfNoEntry: false });
    if (stat === undefined) return `${this.#file} was removed while open`;
    if (stat.dev !== this.#dev || stat.ino !== this.#ino) return `${this.#file} was replaced while open`;
    return null;
  }
}

/** A file identity checked on an interval (unref'd: it never keeps the process alive); `onLost` is called once. */
export class FileWatch {
  readonly #identity: FileIdentity;
  readonly #timer: NodeJS.Timeout;
  #lost: string | null = null;

  constructor(identity: FileIdentity, onLost: (reason: string) => void, intervalMs = FILE_CHECK_INTERVAL_MS) {
    this.#identity = identity;
    this.#timer = setInterval(() => {
      const reason = this.check();
      if (reason !== null) {
        clearInterval(this.#timer);
        onLost(reason);
      }
    }, intervalMs);
    this.#timer.unref();
  }

  /** The reason the file was lost (sticky once seen), or null. */
  check(): string | null {
    this.#lost ??= this.#identity.lostReason();
    return this.#lost;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Opens-path guard for a SQLite store: refuses a damaged file, then watches the file's identity. When the file is
 * removed or replaced, the connection is switched to `query_only`, so every later write (and so every
 * acknowledgement that depends on one) fails instead of landing in a file that no longer exists.
 */
export function guardSqliteFile(
  db: Database.Database,
  file: string,
  onLost: (reason: string) => void,
): FileWatch {
  assertIntact(db, file);
  return new FileWatch(FileIdentity.capture(file), (reason) => {
    if (db.open) db.pragma('query_only = ON');
    onLost(reason);
  });
}
