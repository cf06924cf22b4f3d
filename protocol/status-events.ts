import type { TaskStatus, WorkflowExecutionStatus } from './status.ts';
import type { TaskActionCauseRef } from './task-actions.ts';

/**
 * Status changes are events in the workflow's namespace, on reserved keys that only the scheduler may send:
 * `$task/<workflow>/<task>` and `$workflow/<workflow>`. The value is the status; the context is JSON.
 * Their MQTT copies are retained, so a subscriber sees the last known status at once.
 */
export const RESERVED_KEY_PREFIX = '$';

export function taskStatusKey(workflow: string, task: string): string {
  return `$task/${workflow}/${task}`;
}

export function workflowStatusKey(workflow: string): string {
  return `$workflow/${workflow}`;
}

export interface TaskStatusContext {
  workflowExecutionId: number;
  workflow: string;
  task: string;
  taskExecutionId: number;
  sequence: number;
  status: TaskStatus;
  /** Why a task failed or stopped (exit code, timeout, ...), when known. */
  reason?: string;
  /**
   * On the status an action led to (`queued` after a START or RESTART, `stopping` / `stopped` after a STOP, `queued`
   * for a retry, `failed` / `retrying` after a time-out): which action, and what caused it. Absent otherwise.
   */
  cause?: TaskActionCauseRef;
}

export interface WorkflowStatusContext {
  workflowExecutionId: number;
  workflow: string;
  status: WorkflowExecutionStatus;
}

/** The workflow execution named by an event's context, if its context is JSON with `workflowExecutionId`. */
export function contextWorkflowExecutionId(context: string | null): number | undefined {
  return workflowExecutionIdIn(parseContext(context));
}

/** An event's context as JSON, or undefined when it has none or it is not JSON. */
export function parseContext(context: string | null): unknown {
  if (context === null) return undefined;
  try {
    return JSON.parse(context) as unknown;
  } catch {
    return undefined;
  }
}

/** The workflow execution named by a parsed context (see {@link parseContext}). */
export function workflowExecutionIdIn(context: unknown): number | undefined {
  const id = (context as { workflowExecutionId?: unknown } | null | undefined)?.workflowExecutionId;
  return Number.isSafeInteger(id) ? (id as number) : undefined;
}
