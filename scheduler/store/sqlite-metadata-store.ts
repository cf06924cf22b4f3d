import Database from 'better-sqlite3';
import { createLogger, type Logger } from '../../broker/logger.ts';
import {
  damagedFileError,
  guardSqliteFile,
  isDamageError,
  type FileWatch,
} from '../../broker/sqlite-file-guard.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import type { TaskActionInfo } from '../../protocol/task-actions.ts';
import type { LeaseClaim, LeaseRecord, MetadataStore, Recovery } from './metadata-store.ts';
import type {
  ExecutionPage,
  ScheduleRecord,
  TriggerRecord,
  NamespaceRecord,
  OutboxRecord,
  SnapshotRecord,
  TaskExecutionRecord,
  TimerRecord,
  UnitOfWork,
  WorkflowExecutionRecord,
  WorkflowRecord,
} from './records.ts';
import { migrateMetadataSchema } from './metadata-schema.ts';
import { SqliteLease } from './sqlite-lease.ts';

type Row = Record<string, unknown>;

const workflowOf = (r: Row): WorkflowRecord => ({
  id: r.id as number,
  namespace: r.namespace as string,
  name: r.name as string,
  enabled: r.enabled === 1,
  snapshotId: r.snapshot_id as number,
  createTime: r.create_time as number,
  updateTime: r.update_time as number,
});
const snapshotOf = (r: Row): SnapshotRecord => ({
  id: r.id as number,
  workflowId: r.workflow_id as number,
  fileName: r.file_name as string,
  source: r.source as string,
  spec: JSON.parse(r.spec as string) as SnapshotRecord['spec'],
  createTime: r.create_time as number,
});
const executionOf = (r: Row): WorkflowExecutionRecord => ({
  id: r.id as number,
  workflowId: r.workflow_id as number,
  snapshotId: r.snapshot_id as number,
  namespace: r.namespace as string,
  workflow: r.workflow as string,
  status: r.status as WorkflowExecutionRecord['status'],
  runType: r.run_type as WorkflowExecutionRecord['runType'],
  beginTime: r.begin_time as number,
  endTime: (r.end_time as number | null) ?? null,
});
const scheduleOf = (r: Row): ScheduleRecord => ({
  id: r.id as number,
  workflowId: r.workflow_id as number,
  expression: r.expression as string,
  paused: r.paused === 1,
  nextRunTime: (r.next_run_time as number | null) ?? null,
  createTime: r.create_time as number,
});
const triggerOf = (r: Row): TriggerRecord => ({
  id: r.id as number,
  workflowId: r.workflow_id as number,
  condition: JSON.parse(r.condition as string) as TriggerRecord['condition'],
  origin: r.origin as TriggerRecord['origin'],
  paused: r.paused === 1,
  createTime: r.create_time as number,
});
const taskExecutionOf = (r: Row): TaskExecutionRecord => ({
  id: r.id as number,
  workflowExecutionId: r.workflow_execution_id as number,
  task: r.task as string,
  sequence: r.sequence as number,
  attempt: r.attempt as number,
  status: r.status as TaskExecutionRecord['status'],
  pid: (r.pid as number | null) ?? null,
  beginTime: r.begin_time as number,
  endTime: (r.end_time as number | null) ?? null,
  reason: (r.reason as string | null) ?? null,
});
const taskActionOf = (r: Row): TaskActionInfo => ({
  id: r.id as number,
  taskExecutionId: r.task_execution_id as number,
  action: r.action as TaskActionInfo['action'],
  attempt: r.attempt as number,
  cause: JSON.parse(r.cause as string) as TaskActionInfo['cause'],
  time: r.time as number,
});

/** The embedded metadata store: one SQLite file (WAL) beside the event log. */
export class SqliteMetadataStore implements MetadataStore {
  readonly #db: Database.Database;
  readonly #lease: SqliteLease;
  readonly #fileWatch: FileWatch;
  #commits = 0;
  /** The lease this store's scheduler holds: every commit checks it is still the current one (fencing). */
  #fence: { holder: string; token: number } | null = null;
  readonly #statements = new Map<string, Database.Statement>();
  /** `total_changes()` when the open batch began: a batch that changed nothing commits no transaction. */
  #batchStart: number | null = null;

  /**
   * A unit of work written in a transaction (a savepoint inside a batch). Made once: wrapping a function in a
   * transaction builds four closures, which cost more than a small unit of work's writes.
   */
  readonly #writeWork: (work: UnitOfWork) => void;

  private constructor(db: Database.Database, fileWatch: FileWatch) {
    this.#db = db;
    this.#writeWork = db.transaction((work: UnitOfWork) => this.#write(work));
    this.#lease = new SqliteLease(db);
    this.#fileWatch = fileWatch;
  }

  /**
   * Opens (creating) the store. Refuses a damaged file with STORAGE_FAILED; once open, if the file is removed or
   * replaced, every later write fails (nothing is committed into a file that is gone) and the reason is logged.
   */
  static open(file: string, options: { logger?: Logger } = {}): SqliteMetadataStore {
    const logger = options.logger ?? createLogger();
    let db: Database.Database | undefined;
    try {
      db = new Database(file);
      const fileWatch = guardSqliteFile(db, file, (reason) =>
        logger.error('metadata store lost: no change is committed any more', {
          code: 'STORAGE_FAILED',
          reason,
        }),
      );
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrateMetadataSchema(db, file, logger);
      return new SqliteMetadataStore(db, fileWatch);
    } catch (error) {
      if (db?.open) db.close();
      if (error instanceof AIFlowError) throw error;
      if (isDamageError(error)) throw damagedFileError(file, (error as Error).message, error);
      throw new AIFlowError(
        'STORAGE_FAILED',
        `cannot open the metadata store ${file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  async addNamespace(name: string): Promise<NamespaceRecord> {
    const createTime = Date.now();
    const info = this.#db.prepare('INSERT OR IGNORE INTO namespaces VALUES (?, ?)').run(name, createTime);
    if (info.changes === 0) throw new AIFlowError('ALREADY_EXISTS', `namespace ${name} already exists`);
    return { name, createTime };
  }

  async listNamespaces(): Promise<NamespaceRecord[]> {
    return this.#all('SELECT name, create_time FROM namespaces ORDER BY name').map((r) => ({
      name: r.name as string,
      createTime: r.create_time as number,
    }));
  }

  async deleteNamespace(name: string): Promise<void> {
    this.#db.prepare('DELETE FROM namespaces WHERE name = ?').run(name);
  }

  async saveUpload(upload: Omit<SnapshotRecord, 'id' | 'workflowId' | 'createTime'>) {
    const now = Date.now();
    return this.#db.transaction(() => {
      const { namespace, name } = upload.spec;
      let workflow = this.#one('SELECT * FROM workflows WHERE namespace = ? AND name = ?', namespace, name);
      if (!workflow) {
        const info = this.#db
          .prepare(
            'INSERT INTO workflows (namespace, name, enabled, snapshot_id, create_time, update_time) VALUES (?, ?, 1, 0, ?, ?)',
          )
          .run(namespace, name, now, now);
        workflow = { id: Number(info.lastInsertRowid) };
      }
      const workflowId = workflow.id as number;
      const snapshot = this.#db
        .prepare(
          'INSERT INTO snapshots (workflow_id, file_name, source, spec, create_time) VALUES (?, ?, ?, ?, ?)',
        )
        .run(workflowId, upload.fileName, upload.source, JSON.stringify(upload.spec), now);
      const snapshotId = Number(snapshot.lastInsertRowid);
      this.#db
        .prepare('UPDATE workflows SET snapshot_id = ?, update_time = ? WHERE id = ?')
        .run(snapshotId, now, workflowId);
      return {
        workflow: workflowOf(this.#one('SELECT * FROM workflows WHERE id = ?', workflowId)!),
        snapshot: { ...upload, id: snapshotId, workflowId, createTime: now },
      };
    })();
  }

  async listWorkflows(namespace: string): Promise<WorkflowRecord[]> {
    return this.#all('SELECT * FROM workflows WHERE namespace = ? ORDER BY name', namespace).map(workflowOf);
  }

  async getWorkflow(namespace: string, name: string): Promise<WorkflowRecord | undefined> {
    const row = this.#one('SELECT * FROM workflows WHERE namespace = ? AND name = ?', namespace, name);
    return row && workflowOf(row);
  }

  async setWorkflowEnabled(id: number, enabled: boolean): Promise<void> {
    this.#db
      .prepare('UPDATE workflows SET enabled = ?, update_time = ? WHERE id = ?')
      .run(enabled ? 1 : 0, Date.now(), id);
  }

  async deleteWorkflow(id: number): Promise<void> {
    this.#db.transaction(() => {
      const executions = this.#all('SELECT id FROM workflow_executions WHERE workflow_id = ?', id);
      for (const e of executions) this.#deleteExecution(e.id as number);
      this.#db.prepare('DELETE FROM snapshots WHERE workflow_id = ?').run(id);
      this.#db.prepare('DELETE FROM schedules WHERE workflow_id = ?').run(id);
      this.#db.prepare('DELETE FROM triggers WHERE workflow_id = ?').run(id);
      this.#db.prepare('DELETE FROM states WHERE scope = ?').run(`workflow:${id}`);
      this.#db.prepare('DELETE FROM workflows WHERE id = ?').run(id);
    })();
  }

  async getSnapshot(id: number): Promise<SnapshotRecord | undefined> {
    const row = this.#one('SELECT * FROM snapshots WHERE id = ?', id);
    return row && snapshotOf(row);
  }

  async listWorkflowExecutions(workflowId: number): Promise<WorkflowExecutionRecord[]> {
    return this.#all('SELECT * FROM workflow_executions WHERE workflow_id = ? ORDER BY id', workflowId).map(
      executionOf,
    );
  }

  async pageWorkflowExecutions(workflowId: number, page: ExecutionPage): Promise<WorkflowExecutionRecord[]> {
    const statuses = page.statuses ?? [];
    const sql =
      'SELECT * FROM workflow_executions WHERE workflow_id = ? AND id < ?' +
      (statuses.length ? ` AND status IN (${statuses.map(() => '?').join(', ')})` : '') +
      ' ORDER BY id DESC LIMIT ?';
    return this.#all(sql, workflowId, page.beforeId ?? Number.MAX_SAFE_INTEGER, ...statuses, page.limit).map(
      executionOf,
    );
  }

  async getWorkflowExecution(id: number): Promise<WorkflowExecutionRecord | undefined> {
    const row = this.#one('SELECT * FROM workflow_executions WHERE id = ?', id);
    return row && executionOf(row);
  }

  async deleteWorkflowExecution(id: number): Promise<void> {
    this.#db.transaction(() => this.#deleteExecution(id))();
  }

  #deleteExecution(id: number): void {
    this.#db
      .prepare(
        'DELETE FROM task_actions WHERE task_execution_id IN (SELECT id FROM task_executions WHERE workflow_execution_id = ?)',
      )
      .run(id);
    this.#db.prepare('DELETE FROM task_executions WHERE workflow_execution_id = ?').run(id);
    this.#db.prepare('DELETE FROM states WHERE scope = ?').run(`execution:${id}`);
    this.#db.prepare('DELETE FROM workflow_executions WHERE id = ?').run(id);
  }

  async listTaskExecutions(workflowExecutionId: number): Promise<TaskExecutionRecord[]> {
    return this.#all(
      'SELECT * FROM task_executions WHERE workflow_execution_id = ? ORDER BY id',
      workflowExecutionId,
    ).map(taskExecutionOf);
  }

  async getTaskExecution(id: number): Promise<TaskExecutionRecord | undefined> {
    const row = this.#one('SELECT * FROM task_executions WHERE id = ?', id);
    return row && taskExecutionOf(row);
  }

  async listTaskActions(taskExecutionId: number): Promise<TaskActionInfo[]> {
    return this.#all(
      'SELECT * FROM task_actions WHERE task_execution_id = ? ORDER BY id',
      taskExecutionId,
    ).map(taskActionOf);
  }

  async addSchedule(workflowId: number, expression: string, nextRunTime: number): Promise<ScheduleRecord> {
    const createTime = Date.now();
    const info = this.#db
      .prepare(
        'INSERT INTO schedules (workflow_id, expression, paused, next_run_time, create_time) VALUES (?, ?, 0, ?, ?)',
      )
      .run(workflowId, expression, nextRunTime, createTime);
    return {
      id: Number(info.lastInsertRowid),
      workflowId,
      expression,
      paused: false,
      nextRunTime,
      createTime,
    };
  }

  async listSchedules(workflowId?: number): Promise<ScheduleRecord[]> {
    return this.#ofWorkflow('schedules', workflowId).map(scheduleOf);
  }

  async getSchedule(id: number): Promise<ScheduleRecord | undefined> {
    const row = this.#one('SELECT * FROM schedules WHERE id = ?', id);
    return row && scheduleOf(row);
  }

  async updateSchedule(id: number, change: { paused: boolean; nextRunTime: number | null }): Promise<void> {
    this.#db
      .prepare('UPDATE schedules SET paused = ?, next_run_time = ? WHERE id = ?')
      .run(change.paused ? 1 : 0, change.nextRunTime, id);
  }

  async deleteSchedules(ids: number[]): Promise<void> {
    this.#deleteIds('schedules', ids);
  }

  async addTrigger(
    workflowId: number,
    condition: TriggerRecord['condition'],
    origin: TriggerRecord['origin'],
  ): Promise<TriggerRecord> {
    const createTime = Date.now();
    const info = this.#db
      .prepare(
        'INSERT INTO triggers (workflow_id, condition, origin, paused, create_time) VALUES (?, ?, ?, 0, ?)',
      )
      .run(workflowId, JSON.stringify(condition), origin, createTime);
    return { id: Number(info.lastInsertRowid), workflowId, condition, origin, paused: false, createTime };
  }

  async listTriggers(workflowId?: number): Promise<TriggerRecord[]> {
    return this.#ofWorkflow('triggers', workflowId).map(triggerOf);
  }

  async getTrigger(id: number): Promise<TriggerRecord | undefined> {
    const row = this.#one('SELECT * FROM triggers WHERE id = ?', id);
    return row && triggerOf(row);
  }

  async setTriggerPaused(id: number, paused: boolean): Promise<void> {
    this.#db.prepare('UPDATE triggers SET paused = ? WHERE id = ?').run(paused ? 1 : 0, id);
  }

  async deleteTriggers(ids: number[]): Promise<void> {
    this.#deleteIds('triggers', ids);
  }

  async loadRecovery(): Promise<Recovery> {
    const workflows = this.#all('SELECT * FROM workflows ORDER BY id').map(workflowOf);
    const runningExecutions = this.#all(
      "SELECT * FROM workflow_executions WHERE status IN ('init', 'running', 'stopping') ORDER BY id",
    ).map(executionOf);
    const snapshotIds = new Set([
      ...workflows.map((w) => w.snapshotId),
      ...runningExecutions.map((e) => e.snapshotId),
    ]);
    const snapshots = [...snapshotIds].flatMap((id) => {
      const row = this.#one('SELECT * FROM snapshots WHERE id = ?', id);
      return row ? [snapshotOf(row)] : [];
    });
    const taskExecutions = runningExecutions.flatMap((e) =>
      this.#all('SELECT * FROM task_executions WHERE workflow_execution_id = ? ORDER BY id', e.id).map(
        taskExecutionOf,
      ),
    );
    const max = (table: string) =>
      ((this.#one(`SELECT MAX(id) AS m FROM ${table}`)?.m as number | null) ?? 0) + 1;
    return {
      workflows,
      snapshots,
      runningExecutions,
      taskExecutions,
      states: this.#all('SELECT * FROM states').map((r) => ({
        scope: r.scope as string,
        name: r.name as string,
        value: JSON.parse(r.value as string) as unknown,
      })),
      timers: this.#all('SELECT * FROM timers ORDER BY due_time').map(
        (r) =>
          ({ id: r.id, dueTime: r.due_time, kind: r.kind, ...JSON.parse(r.target as string) }) as TimerRecord,
      ),
      outbox: this.#all('SELECT * FROM outbox ORDER BY id').map((r): OutboxRecord => ({
        id: r.id as number,
        eventId: r.event_id as string,
        namespace: r.namespace as string,
        key: r.key as string,
        value: r.value as string,
        context: r.context as string,
      })),
      checkpoint: this.#one('SELECT offset FROM checkpoint')!.offset as number,
      nextIds: {
        workflowExecution: max('workflow_executions'),
        taskExecution: max('task_executions'),
        timer: max('timers'),
        outbox: max('outbox'),
        taskAction: max('task_actions'),
      },
    };
  }

  get commits(): number {
    return this.#commits;
  }

  async beginBatch(): Promise<void> {
    if (this.#batchStart !== null) throw new AIFlowError('INTERNAL', 'a batch is already open');
    // Deferred: a batch that only reads takes no write lock and syncs nothing.
    this.#db.exec('BEGIN');
    this.#batchStart = this.#totalChanges();
  }

  async endBatch(): Promise<void> {
    const start = this.#batchStart;
    if (start === null) throw new AIFlowError('INTERNAL', 'no batch is open');
    const wrote = this.#totalChanges() !== start;
    if (wrote && !this.#fenceHolds()) {
      await this.abortBatch();
      throw this.#fenceLost();
    }
    this.#db.exec('COMMIT');
    this.#batchStart = null;
    if (wrote) this.#commits++;
  }

  async abortBatch(): Promise<void> {
    this.#batchStart = null;
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
  }

  /** Inside a batch, a savepoint (undone alone when it fails); otherwise a transaction of its own. */
  async commit(work: UnitOfWork): Promise<void> {
    if (this.#batchStart === null) this.#commits++;
    this.#writeWork(work);
  }

  /** Writes a unit of work; run in a transaction by {@link #writeWork}. */
  #write(work: UnitOfWork): void {
    const sql = (text: string) => this.#statement(text);
    // Inside a batch the check is made once, at its end.
    if (this.#batchStart === null && !this.#fenceHolds()) throw this.#fenceLost();
    const upsertExecution = sql(
      'INSERT INTO workflow_executions VALUES (@id, @workflowId, @snapshotId, @namespace, @workflow, @status, @runType, @beginTime, @endTime) ON CONFLICT (id) DO UPDATE SET status = excluded.status, end_time = excluded.end_time',
    );
    for (const e of work.workflowExecutions) upsertExecution.run(e);
    const upsertTask = sql(
      'INSERT INTO task_executions VALUES (@id, @workflowExecutionId, @task, @sequence, @attempt, @status, @pid, @beginTime, @endTime, @reason) ON CONFLICT (id) DO UPDATE SET attempt = excluded.attempt, status = excluded.status, pid = excluded.pid, end_time = excluded.end_time, reason = excluded.reason',
    );
    for (const t of work.taskExecutions) upsertTask.run(t);
    for (const s of work.states) {
      if (s.value === undefined) sql('DELETE FROM states WHERE scope = ? AND name = ?').run(s.scope, s.name);
      else
        sql('INSERT OR REPLACE INTO states VALUES (?, ?, ?)').run(s.scope, s.name, JSON.stringify(s.value));
    }
    for (const t of work.timers) {
      const { id, dueTime, kind, ...target } = t;
      sql('INSERT OR REPLACE INTO timers VALUES (?, ?, ?, ?)').run(id, dueTime, kind, JSON.stringify(target));
    }
    for (const id of work.deletedTimers) sql('DELETE FROM timers WHERE id = ?').run(id);
    for (const o of work.outbox) {
      sql('INSERT OR REPLACE INTO outbox VALUES (?, ?, ?, ?, ?, ?)').run(
        o.id,
        o.eventId,
        o.namespace,
        o.key,
        o.value,
        o.context,
      );
    }
    for (const a of work.taskActions) {
      sql('INSERT INTO task_actions VALUES (?, ?, ?, ?, ?, ?)').run(
        a.id,
        a.taskExecutionId,
        a.action,
        a.attempt,
        this.#causeJson(a.cause),
        a.time,
      );
    }
    if (work.failedEvent) {
      const { offset, key, reason } = work.failedEvent;
      sql('INSERT OR REPLACE INTO failed_events VALUES (?, ?, ?, ?)').run(offset, key, reason, Date.now());
    }
    if (work.checkpoint !== undefined)
      sql('UPDATE checkpoint SET offset = MAX(offset, ?)').run(work.checkpoint);
  }

  /** A cause as stored: many actions share one cause object (one event, many executions), serialised once. */
  #causeJson(cause: TaskActionInfo['cause']): string {
    let json = this.#causeJsons.get(cause);
    if (json === undefined) this.#causeJsons.set(cause, (json = JSON.stringify(cause)));
    return json;
  }

  readonly #causeJsons = new WeakMap<TaskActionInfo['cause'], string>();

  /** The commit path's statements, prepared once: preparing one per row cost more than running it. */
  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }

  async listFailedEvents(): Promise<{ offset: number; key: string; reason: string; time: number }[]> {
    return this.#all('SELECT * FROM failed_events ORDER BY offset') as {
      offset: number;
      key: string;
      reason: string;
      time: number;
    }[];
  }

  /** Removes published status events from the outbox. */
  async deleteOutbox(ids: number[]): Promise<void> {
    this.#deleteIds('outbox', ids);
  }

  async acquireLease(claim: LeaseClaim): Promise<LeaseRecord | { heldBy: LeaseRecord }> {
    const result = this.#lease.acquire(claim);
    if (!('heldBy' in result)) this.#fence = { holder: result.holder, token: result.token };
    return result;
  }

  /** True unless this store's scheduler took a lease that another one has since taken over. */
  #fenceHolds(): boolean {
    if (this.#fence === null) return true;
    const current = this.#lease.read();
    return current?.token === this.#fence.token && current.holder === this.#fence.holder;
  }

  #fenceLost(): AIFlowError {
    return new AIFlowError(
      'SCHEDULER_LEASE_LOST',
      `the scheduler lease ${this.#fence?.token} was taken over by another scheduler: nothing is committed`,
    );
  }

  async renewLease(holder: string, token: number, expiresAt: number): Promise<boolean> {
    return this.#lease.renew(holder, token, expiresAt);
  }

  async releaseLease(holder: string, token: number): Promise<void> {
    this.#lease.release(holder, token);
  }

  async readLease(): Promise<LeaseRecord | null> {
    return this.#lease.read();
  }

  async close(): Promise<void> {
    this.#fileWatch.stop();
    if (this.#db.open) this.#db.close();
  }

  /** Rows of a table with a `workflow_id`, all or one workflow's, in id order. */
  #ofWorkflow(table: 'schedules' | 'triggers', workflowId: number | undefined): Row[] {
    return workflowId === undefined
      ? this.#all(`SELECT * FROM ${table} ORDER BY id`)
      : this.#all(`SELECT * FROM ${table} WHERE workflow_id = ? ORDER BY id`, workflowId);
  }

  #deleteIds(table: 'schedules' | 'triggers' | 'outbox', ids: number[]): void {
    const remove = this.#db.prepare(`DELETE FROM ${table} WHERE id = ?`);
    this.#db.transaction(() => ids.forEach((id) => remove.run(id)))();
  }

  #totalChanges(): number {
    return (this.#statement('SELECT total_changes() AS n').get() as Row).n as number;
  }

  #all(sql: string, ...args: unknown[]): Row[] {
    return this.#db.prepare(sql).all(...args) as Row[];
  }

  #one(sql: string, ...args: unknown[]): Row | undefined {
    return this.#db.prepare(sql).get(...args) as Row | undefined;
  }
}
