import Database from 'better-sqlite3';

/** The event log's schema as the first release wrote it (schema version 0, no counters, no namespace index). */
export const LEGACY_EVENT_LOG_SCHEMA = `
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

export interface GeneratedEvent {
  namespace: string;
  key: string;
  sender: string;
  createTime: number;
}

/** The shape of the generated logs: offset i + 1 holds event i. */
export const generatedEvent = (i: number, startTime: number): GeneratedEvent => ({
  namespace: i % 10 === 0 ? 'other' : 'default',
  key: `k${i % 100}`,
  sender: `s${i % 4}`,
  // createTime never decreases: 100 events per millisecond.
  createTime: startTime + Math.floor(i / 100),
});

/** Writes `count` events into a file with the legacy schema, in one transaction, as fast as SQLite allows. */
export function writeLegacyLog(file: string, count: number, startTime = 1_700_000_000_000): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(LEGACY_EVENT_LOG_SCHEMA);
    const insert = db.prepare(
      'INSERT INTO events (namespace, key, value, sender, context, create_time) VALUES (?, ?, ?, ?, NULL, ?)',
    );
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const e = generatedEvent(i, startTime);
        insert.run(e.namespace, e.key, `value-${i}`, e.sender, e.createTime);
      }
    })();
  } finally {
    db.close();
  }
}
