import type { TaskStatus } from './status.ts';
import type { TaskActionInfo } from './task-actions.ts';

/** What the scheduler's schedule and trigger methods return (see the README's method table). */
export interface WorkflowScheduleInfo {
  id: number;
  workflowId: number;
  expression: string;
  /** E.g. `every 10 minutes`. */
  description: string;
  paused: boolean;
  /** ms since the epoch; null while paused. */
  nextRunTime: number | null;
  createTime: number;
}

export interface WorkflowTriggerInfo {
  id: number;
  workflowId: number;
  condition: { type: string; key?: string; value?: string; [field: string]: unknown };
  /** `module`: declared with `addTrigger` in the workflow module; `cli`: added by key. */
  origin: 'module' | 'cli';
  paused: boolean;
  createTime: number;
}

/** A workflow by namespace and name (the namespace defaults to `default`). */
export interface WorkflowRef {
  namespace?: string;
  workflow: string;
}

/** What `taskExecution.show` returns: the task execution, and every action taken on it with its cause, in order. */
export interface TaskExecutionInfo {
  id: number;
  workflowExecutionId: number;
  task: string;
  sequence: number;
  attempt: number;
  status: TaskStatus;
  pid: number | null;
  beginTime: number;
  endTime: number | null;
  reason: string | null;
  actions: TaskActionInfo[];
}
