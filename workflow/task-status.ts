import type { TaskStatus as ProtocolTaskStatus } from '../protocol/status.ts';

/**
 * Statuses of a task execution, as rules and {@link ConditionContext.getTaskStatus} see them.
 * The values are those of the wire contract (`protocol/status.ts`).
 */
export const TaskStatus = {
  INIT: 'init',
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCESS: 'success',
  FAILED: 'failed',
  STOPPING: 'stopping',
  STOPPED: 'stopped',
  RETRYING: 'retrying',
} as const satisfies Record<string, ProtocolTaskStatus>;

/** The values of {@link TaskStatus}; the same union as the protocol's `TaskStatus` (a unit test checks it). */
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

const STATUSES: readonly string[] = Object.values(TaskStatus);

/** Whether `value` is one of the {@link TaskStatus} values. */
export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && STATUSES.includes(value);
}
