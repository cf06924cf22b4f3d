/** Statuses of a task execution, as they appear in status events and in every output. */
export const TASK_STATUSES = [
  'init',
  'queued',
  'running',
  'success',
  'failed',
  'stopping',
  'stopped',
  'retrying',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A live task execution blocks START: at most one live execution per task inside a workflow execution. */
export const LIVE_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'init',
  'queued',
  'running',
  'retrying',
  'stopping',
]);
export const FINISHED_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['success', 'failed', 'stopped']);

/** Statuses of a workflow execution. */
export const WORKFLOW_EXECUTION_STATUSES = [
  'init',
  'running',
  'stopping',
  'success',
  'failed',
  'stopped',
] as const;
export type WorkflowExecutionStatus = (typeof WORKFLOW_EXECUTION_STATUSES)[number];
/** A live execution still has (or may still start) task processes: it cannot be deleted. */
export const LIVE_WORKFLOW_EXECUTION_STATUSES: ReadonlySet<WorkflowExecutionStatus> = new Set([
  'init',
  'running',
  'stopping',
]);
export const FINISHED_WORKFLOW_EXECUTION_STATUSES: ReadonlySet<WorkflowExecutionStatus> = new Set([
  'success',
  'failed',
  'stopped',
]);

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}
