import Database from 'better-sqlite3';

/**
 * Runs one read on a metadata file opened read-only (how another process — the broker, the server — reads what a
 * scheduler stored without writing it). Null when the file, or the table the read needs, does not exist yet.
 */
export function readMetadataFile<T>(file: string, read: (db: Database.Database) => T): T | null {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    return read(db);
  } catch {
    return null; // no such table yet
  } finally {
    db.close();
  }
}
