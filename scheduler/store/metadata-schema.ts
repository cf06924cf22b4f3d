import type Database from 'better-sqlite3';
import type { Logger } from '../../broker/logger.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { LEASE_SCHEMA } from './sqlite-lease.ts';

/**
 * Version 0: the tables of the first release (a file it made has `user_version` 0). `IF NOT EXISTS` everywhere, so
 * a file of an earlier build that lacks a later table (`failed_events`, `lease`) gets it here.
 */
const BASE_SCHEMA =
  `
CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, create_time INTEGER NOT NULL);
INSERT OR IGNORE INTO namespaces VALUES ('default', 0);
CREATE TABLE IF NOT EXISTS workflows (
  id INTEGER PRIMARY KEY AUTOINCREMENT, namespace TEXT NOT NULL REFERENCES namespaces(name), name TEXT NOT NULL,
  enabled INTEGER NOT NULL, snapshot_id INTEGER NOT NULL, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL,
  UNIQUE (namespace, name));
CREATE TABLE IF NOT EXISTS snapshots (
  id INTEGER PRIMARY KEY AUTOINCREMENT, workflow_id INTEGER NOT NULL, file_name TEXT NOT NULL, source TEXT NOT NULL,
  spec TEXT NOT NULL, create_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS workflow_executions (
  id INTEGER PRIMARY KEY, workflow_id INTEGER NOT NULL, snapshot_id INTEGER NOT NULL, namespace TEXT NOT NULL,
  workflow TEXT NOT NULL, status TEXT NOT NULL, run_type TEXT NOT NULL, begin_time INTEGER NOT NULL, end_time INTEGER);
CREATE INDEX IF NOT EXISTS executions_by_status ON workflow_executions (status);
CREATE TABLE IF NOT EXISTS task_executions (
  id INTEGER PRIMARY KEY, workflow_execution_id INTEGER NOT NULL, task TEXT NOT NULL, sequence INTEGER NOT NULL,
  attempt INTEGER NOT NULL, status TEXT NOT NULL, pid INTEGER, begin_time INTEGER NOT NULL, end_time INTEGER,
  reason TEXT, UNIQUE (workflow_execution_id, task, sequence));
CREATE TABLE IF NOT EXISTS states (scope TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (scope, name));
CREATE TABLE IF NOT EXISTS timers (id INTEGER PRIMARY KEY, due_time INTEGER NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schedules (
  id INTEGER PRIMARY KEY AUTOINCREMENT, workflow_id INTEGER NOT NULL, expression TEXT NOT NULL, paused INTEGER NOT NULL,
  next_run_time INTEGER, create_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS triggers (
  id INTEGER PRIMARY KEY AUTOINCREMENT, workflow_id INTEGER NOT NULL, condition TEXT NOT NULL, origin TEXT NOT NULL,
  paused INTEGER NOT NULL, create_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, context TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failed_events (offset INTEGER PRIMARY KEY, key TEXT NOT NULL, reason TEXT NOT NULL, time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), offset INTEGER NOT NULL);
INSERT OR IGNORE INTO checkpoint VALUES (1, 0);
` + LEASE_SCHEMA;

/** One ordered step: upgrades a file from version `index` to `index + 1`, in one transaction with `user_version`. */
export interface MetadataMigration {
  description: string;
  sql: string;
}

export const METADATA_MIGRATIONS: readonly MetadataMigration[] = [
  {
    description: 'finished executions indexed by end time (retention)',
    sql: 'CREATE INDEX IF NOT EXISTS executions_by_end_time ON workflow_executions (end_time) WHERE end_time IS NOT NULL;',
  },
  {
    description: 'task actions with their causes (why a task execution was started, stopped or restarted)',
    // One index only: every insert pays for it, and a batch may insert thousands (one event, many executions).
    sql: `CREATE TABLE IF NOT EXISTS task_actions (
  id INTEGER PRIMARY KEY, task_execution_id INTEGER NOT NULL, action TEXT NOT NULL, attempt INTEGER NOT NULL,
  cause TEXT NOT NULL, time INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS task_actions_by_task_execution ON task_actions (task_execution_id);`,
  },
];

export const METADATA_SCHEMA_VERSION = METADATA_MIGRATIONS.length;

/**
 * Creates the schema in a new file, or runs the migrations a file written by an earlier release still needs, in
 * order, each once (`PRAGMA user_version`). A file of a newer release is refused: this code would not know its
 * tables.
 */
export function migrateMetadataSchema(db: Database.Database, file: string, logger: Logger): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > METADATA_SCHEMA_VERSION) {
    throw new AIFlowError(
      'STORAGE_FAILED',
      `${file} was written by a newer version (schema ${version}, this one knows up to ${METADATA_SCHEMA_VERSION})`,
    );
  }
  const fresh =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'workflows'").get() === undefined;
  db.exec(BASE_SCHEMA);
  for (let v = version; v < METADATA_SCHEMA_VERSION; v++) {
    const migration = METADATA_MIGRATIONS[v]!;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
    // A new file runs every step too, silently: only an upgrade of existing data is news.
    if (!fresh)
      logger.info('metadata store migrated', { file, version: v + 1, migration: migration.description });
  }
}
