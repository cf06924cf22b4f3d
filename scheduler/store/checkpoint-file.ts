import Database from 'better-sqlite3';

/**
 * The scheduler's checkpoint (the last event offset it fully processed) read from a metadata file on a read-only
 * connection: how the broker bounds an event-log prune without asking the scheduler. 0 when there is no file yet.
 */
export function readCheckpointFile(file: string): number {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return 0;
  }
  try {
    const row = db.prepare('SELECT offset FROM checkpoint WHERE id = 1').get() as
      { offset: number } | undefined;
    return row?.offset ?? 0;
  } catch {
    return 0; // no checkpoint table yet
  } finally {
    db.close();
  }
}
