import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Caller } from './access-roles.ts';

/**
 * The login of one task execution: user name `task:<namespace>:<workflowExecutionId>:<taskExecutionId>`, password
 * HMAC-SHA256 of that name under the home's task key (`task-credential.key`; a broker without one uses its scheduler
 * token). Stateless: the scheduler derives it when it starts the task, the broker checks it by deriving it again, and
 * nothing is stored per task. Node only (not exported to the browser SDK).
 */
export interface TaskIdentity {
  namespace: string;
  workflowExecutionId: number;
  taskExecutionId: number;
}

export const TASK_USERNAME_PREFIX = 'task:';

export function taskUsername(task: TaskIdentity): string {
  return `${TASK_USERNAME_PREFIX}${task.namespace}:${task.workflowExecutionId}:${task.taskExecutionId}`;
}

/** Undefined unless `username` is of the task form. */
export function parseTaskUsername(username: string): TaskIdentity | undefined {
  const match = /^task:(.+):(\d{1,15}):(\d{1,15})$/s.exec(username);
  if (!match) return undefined;
  return { namespace: match[1]!, workflowExecutionId: Number(match[2]), taskExecutionId: Number(match[3]) };
}

export function taskPassword(secret: string, username: string): string {
  return createHmac('sha256', secret).update(username).digest('hex');
}

/** Timing-safe comparison of a password with the one derived for `username`. */
export function taskPasswordMatches(secret: string, username: string, password: string): boolean {
  const expected = Buffer.from(taskPassword(secret, username));
  const given = Buffer.from(password);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Who a task acts as: `task <workflowExecutionId>/<taskExecutionId>` (the `sender` of its events), with
 * `publisher` and `viewer` in its namespace, and the one workflow execution whose context it may name.
 */
export function taskCaller(task: TaskIdentity): Caller {
  return {
    name: `task ${task.workflowExecutionId}/${task.taskExecutionId}`,
    grants: [
      { role: 'publisher', namespace: task.namespace },
      { role: 'viewer', namespace: task.namespace },
    ],
    workflowExecutionId: task.workflowExecutionId,
  };
}
