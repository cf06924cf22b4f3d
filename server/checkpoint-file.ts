import Database from 'better-sqlite3';

/**
 * The checkpoint (last event offset processed) a scheduler stored in a metadata file, read-only; null when the file
 * or its table does not exist yet. For a scheduler the server does not run, whose series it cannot read.
 */
export function readCheckpointFile(file: string): number | null {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    const row = db.prepare('SELECT offset FROM checkpoint').get() as { offset: number } | undefined;
    return row?.offset ?? null;
  } catch {
    return null; // no checkpoint table yet
  } finally {
    db.close();
  }
}
