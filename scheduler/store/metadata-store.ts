import type { TaskActionInfo } from '../../protocol/task-actions.ts';
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

/**
 * The scheduler's persistence. Every method is async so that a networked backend (PostgreSQL) can implement it;
 * the scheduler keeps its working set in memory and writes each input's effects with one `commit`. Inputs are
 * group-committed: between `beginBatch` and `endBatch` every write joins one transaction, and each `commit` is a
 * savepoint of it (all or nothing per input, one disk sync per batch).
 */
export interface MetadataStore {
  addNamespace(name: string): Promise<NamespaceRecord>;
  listNamespaces(): Promise<NamespaceRecord[]>;
  deleteNamespace(name: string): Promise<void>;

  /** Creates the workflow or points it at the new snapshot (re-enabling nothing: `enabled` is kept). */
  saveUpload(upload: Omit<SnapshotRecord, 'id' | 'workflowId' | 'createTime'>): Promise<{
    workflow: WorkflowRecord;
    snapshot: SnapshotRecord;
  }>;
  listWorkflows(namespace: string): Promise<WorkflowRecord[]>;
  getWorkflow(namespace: string, name: string): Promise<WorkflowRecord | undefined>;
  setWorkflowEnabled(id: number, enabled: boolean): Promise<void>;
  /** Deletes the workflow with its snapshots and (finished) executions. */
  deleteWorkflow(id: number): Promise<void>;
  getSnapshot(id: number): Promise<SnapshotRecord | undefined>;

  listWorkflowExecutions(workflowId: number): Promise<WorkflowExecutionRecord[]>;
  /** One page of a workflow's executions, newest first: ids below `beforeId`, with one of `statuses` if given. */
  pageWorkflowExecutions(workflowId: number, page: ExecutionPage): Promise<WorkflowExecutionRecord[]>;
  getWorkflowExecution(id: number): Promise<WorkflowExecutionRecord | undefined>;
  deleteWorkflowExecution(id: number): Promise<void>;
  listTaskExecutions(workflowExecutionId: number): Promise<TaskExecutionRecord[]>;
  getTaskExecution(id: number): Promise<TaskExecutionRecord | undefined>;
  /** The actions taken on a task execution, each with its cause, in the order they were taken. */
  listTaskActions(taskExecutionId: number): Promise<TaskActionInfo[]>;

  addSchedule(workflowId: number, expression: string, nextRunTime: number): Promise<ScheduleRecord>;
  listSchedules(workflowId?: number): Promise<ScheduleRecord[]>;
  getSchedule(id: number): Promise<ScheduleRecord | undefined>;
  /** Pause (nextRunTime null), resume or move to the next run. */
  updateSchedule(id: number, change: { paused: boolean; nextRunTime: number | null }): Promise<void>;
  deleteSchedules(ids: number[]): Promise<void>;

  addTrigger(
    workflowId: number,
    condition: TriggerRecord['condition'],
    origin: TriggerRecord['origin'],
  ): Promise<TriggerRecord>;
  listTriggers(workflowId?: number): Promise<TriggerRecord[]>;
  getTrigger(id: number): Promise<TriggerRecord | undefined>;
  setTriggerPaused(id: number, paused: boolean): Promise<void>;
  deleteTriggers(ids: number[]): Promise<void>;

  /** What a restarting scheduler needs: enabled workflows' snapshots, live executions, state, timers, outbox. */
  loadRecovery(): Promise<Recovery>;
  /** Writes one input's changes atomically: a savepoint inside an open batch, else a transaction of its own. */
  commit(work: UnitOfWork): Promise<void>;
  /** Opens the group commit of one turn of the scheduler's loop. */
  beginBatch(): Promise<void>;
  /** Makes the batch durable at once (a batch that wrote nothing costs nothing). */
  endBatch(): Promise<void>;
  /** Discards everything the open batch wrote. */
  abortBatch(): Promise<void>;
  /** Durable transactions committed by `commit` and `endBatch` so far (what a disk sync is paid for). */
  readonly commits: number;
  /** Events whose processing failed, with the reason (`commit` with `failedEvent` records one). */
  listFailedEvents(): Promise<{ offset: number; key: string; reason: string; time: number }[]>;
  /** Removes published status events from the outbox. */
  deleteOutbox(ids: number[]): Promise<void>;

  /**
   * Takes the scheduler lease when it is free, expired, or held with the token `claim.replacing`; the token then
   * increments. Otherwise returns who holds it.
   */
  acquireLease(claim: LeaseClaim): Promise<LeaseRecord | { heldBy: LeaseRecord }>;
  /** Extends the lease; false when `token` is no longer the current one (another scheduler took over). */
  renewLease(holder: string, token: number, expiresAt: number): Promise<boolean>;
  /** Lets the next scheduler take over at once (a no-op when the lease moved on). */
  releaseLease(holder: string, token: number): Promise<void>;
  readLease(): Promise<LeaseRecord | null>;
  close(): Promise<void>;
}

/** The one-scheduler-per-home lease: whoever holds the current token may act as the scheduler. */
export interface LeaseRecord {
  /** Unique per scheduler start. */
  holder: string;
  pid: number;
  host: string;
  /** Fencing token: increments at every takeover, never reused. */
  token: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface LeaseClaim {
  holder: string;
  pid: number;
  host: string;
  now: number;
  durationMs: number;
  /** Take over from this token even if it has not expired (its holder is known to be gone). */
  replacing?: number;
}

export interface Recovery {
  workflows: WorkflowRecord[];
  snapshots: SnapshotRecord[];
  /** Executions still running, with all their task executions. */
  runningExecutions: WorkflowExecutionRecord[];
  taskExecutions: TaskExecutionRecord[];
  states: { scope: string; name: string; value: unknown }[];
  timers: TimerRecord[];
  outbox: OutboxRecord[];
  checkpoint: number;
  /** Next free ids, so the scheduler can name new rows before it commits them. */
  nextIds: {
    workflowExecution: number;
    taskExecution: number;
    timer: number;
    outbox: number;
    taskAction: number;
  };
}
