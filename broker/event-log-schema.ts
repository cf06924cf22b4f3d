import type Database from 'better-sqlite3';
import { AIFlowError } from '../protocol/errors.ts';

/**
 * Version 0: the events table with its key and time indexes. `offset` is the rowid, so every index also ends with
 * the offset and is ordered by it within equal leading columns.
 */
const BASE_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  offset INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  sender TEXT NOT NULL,
  context TEXT,
  create_time INTEGER NOT NULL,
  idempotency_id TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS events_by_key ON events (namespace, key, offset);
CREATE INDEX IF NOT EXISTS events_by_time ON events (create_time);
`;

/**
 * Each step upgrades the file from version `index` to `index + 1`, in one transaction with `user_version`.
 * 1: pages of one namespace without a key read in offset order (no sort of the whole namespace), with the sender
 *    in the index so range counts need no table lookup; and event counters per (namespace, key, sender), kept in
 *    the same transaction as each append, so counts cost O(groups) instead of O(events).
 */
const UPGRADES: readonly string[] = [
  `
CREATE INDEX IF NOT EXISTS events_by_namespace ON events (namespace, offset, sender);
CREATE TABLE IF NOT EXISTS event_counts (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  sender TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (namespace, key, sender)
) WITHOUT ROWID;
DELETE FROM event_counts;
INSERT INTO event_counts (namespace, key, sender, count)
  SELECT namespace, key, sender, COUNT(*) FROM events GROUP BY namespace, key, sender;
`,
];

export const EVENT_LOG_SCHEMA_VERSION = UPGRADES.length;

/** Creates the schema in a new file, or upgrades a file written by an earlier version (once: `user_version`). */
export function prepareEventLogSchema(db: Database.Database, file: string): void {
  db.exec(BASE_SCHEMA);
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > EVENT_LOG_SCHEMA_VERSION) {
    throw new AIFlowError(
      'STORAGE_FAILED',
      `${file} was written by a newer version (schema ${version}, this one knows up to ${EVENT_LOG_SCHEMA_VERSION})`,
    );
  }
  for (let v = version; v < EVENT_LOG_SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(UPGRADES[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
