import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AIFlowError } from '../protocol/errors.ts';

/** The databases of a home: the event log and the scheduler's metadata store. */
export const HOME_DATABASES = ['aiflow.db', 'metadata.db'] as const;

export interface BackupResult {
  file: string;
  bytes: number;
}

/**
 * Copies the databases of `home` into the empty or new folder `target`, with the same names, while the server
 * runs. Each copy is `VACUUM INTO` on a read-only connection: one read transaction, so a consistent snapshot of
 * that file as of the moment it began, which neither blocks nor is restarted by the server's commits (in WAL mode
 * readers and the writer do not wait for each other). The folder can serve as a home as it is. The two files are
 * two snapshots taken one after the other, the event log first: the metadata store's checkpoint may then be past the
 * last event of the log copy, never the reverse of what a restart can handle (it re-reads from its checkpoint).
 */
export function backupHome(home: string, target: string): BackupResult[] {
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new AIFlowError('CONFLICT', `${target} is not empty; back up into a new or empty folder`);
  }
  const present = HOME_DATABASES.filter((name) => existsSync(join(home, name)));
  if (present.length === 0) throw new AIFlowError('NOT_FOUND', `no aiflow database in ${home}`);
  mkdirSync(target, { recursive: true });
  return present.map((name) => {
    const file = join(target, name);
    const db = new Database(join(home, name), { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 10000');
      db.prepare('VACUUM INTO ?').run(file);
    } catch (error) {
      throw new AIFlowError('STORAGE_FAILED', `cannot back up ${name}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      db.close();
    }
    const copy = new Database(file, { readonly: true });
    try {
      const pages = copy.pragma('page_count', { simple: true }) as number;
      const size = copy.pragma('page_size', { simple: true }) as number;
      return { file, bytes: pages * size };
    } finally {
      copy.close();
    }
  });
}
