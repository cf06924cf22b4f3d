import type { TaskStatus, WorkflowExecutionStatus } from '../../protocol/status.ts';
import type { TaskActionInfo } from '../../protocol/task-actions.ts';
import type { ConditionSpec, WorkflowSpec } from '../../workflow/spec.ts';

/** The rows of the metadata store, as the scheduler and the CLI see them. Times are ms since the epoch. */
export interface NamespaceRecord {
  name: string;
  createTime: number;
}

export interface WorkflowRecord {
  id: number;
  namespace: string;
  name: string;
  enabled: boolean;
  /** The snapshot new executions run on (the latest upload). */
  snapshotId: number;
  createTime: number;
  updateTime: number;
}

export interface SnapshotRecord {
  id: number;
  workflowId: number;
  /** The uploaded module, as text: task processes and the condition sandbox load it from here. */
  fileName: string;
  source: string;
  spec: WorkflowSpec;
  createTime: number;
}

export type RunType = 'manual' | 'schedule' | 'trigger';

export interface WorkflowExecutionRecord {
  id: number;
  workflowId: number;
  snapshotId: number;
  namespace: string;
  workflow: string;
  status: WorkflowExecutionStatus;
  runType: RunType;
  beginTime: number;
  endTime: number | null;
}

/** A page of a workflow's executions, newest first (`workflowExecution.list` with `limit`). */
export interface ExecutionPage {
  /** 1 to 1,000. */
  limit: number;
  /** Exclusive cursor: executions with a smaller id (the last id of the previous page). */
  beforeId?: number;
  /** Only executions with one of these statuses. */
  statuses?: readonly WorkflowExecutionStatus[];
}

export interface TaskExecutionRecord {
  id: number;
  workflowExecutionId: number;
  task: string;
  /** 1, 2, 3… per (workflow execution, task). */
  sequence: number;
  /** 1 for the first try; a retry increments it on the same task execution. */
  attempt: number;
  status: TaskStatus;
  pid: number | null;
  beginTime: number;
  endTime: number | null;
  reason: string | null;
}

/** A timer kept in the database, so that it survives restarts: fed back to the scheduler when due. */
export type TimerRecord =
  | { id: number; dueTime: number; kind: 'retry'; taskExecutionId: number }
  /** The next tick of a periodic task of a running execution. */
  | { id: number; dueTime: number; kind: 'periodic'; workflowExecutionId: number; task: string };

/** A workflow schedule: starts an execution at each time its expression gives. */
export interface ScheduleRecord {
  id: number;
  workflowId: number;
  expression: string;
  paused: boolean;
  /** When it fires next; null while paused. */
  nextRunTime: number | null;
  createTime: number;
}

/** A workflow trigger: starts an execution each time its condition is met by an event of the namespace. */
export interface TriggerRecord {
  id: number;
  workflowId: number;
  condition: ConditionSpec;
  /** `module`: declared with `addTrigger` (replaced at each upload); `cli`: added with `workflow-trigger add`. */
  origin: 'module' | 'cli';
  paused: boolean;
  createTime: number;
}

/** A status event committed with the change that caused it, published afterwards (at least once, deduplicated). */
export interface OutboxRecord {
  id: number;
  /** Idempotency id of the event: stable across restarts, so a repeated publish is stored once. */
  eventId: string;
  namespace: string;
  key: string;
  value: string;
  context: string;
}

/** One atomic set of writes: everything one input (event, task report, request) changed. */
export interface UnitOfWork {
  workflowExecutions: WorkflowExecutionRecord[];
  taskExecutions: TaskExecutionRecord[];
  /** Value state by scope (`execution:<id>`), JSON values; `undefined` deletes. */
  states: { scope: string; name: string; value: unknown }[];
  timers: TimerRecord[];
  deletedTimers: number[];
  outbox: OutboxRecord[];
  /** START / STOP / RESTART of task executions, each with its cause (`protocol/task-actions.ts`). */
  taskActions: TaskActionInfo[];
  /** The last event offset fully processed, stored with its effects. */
  checkpoint?: number;
  /** An event whose processing failed: kept with the reason, never silently dropped. */
  failedEvent?: { offset: number; key: string; reason: string };
}

export function emptyUnitOfWork(): UnitOfWork {
  return {
    workflowExecutions: [],
    taskExecutions: [],
    states: [],
    timers: [],
    deletedTimers: [],
    outbox: [],
    taskActions: [],
  };
}
