import type { TaskAction as SpecTaskAction } from './spec.ts';

/**
 * What a rule does to its task when its condition is met.
 *
 * - `START`: starts a new execution unless one is live (a live execution makes START a no-op).
 * - `STOP`: stops the live execution, if any (a no-op otherwise).
 * - `RESTART`: stops the live execution, if any, and starts a new one.
 */
export const TaskAction = {
  START: 'start',
  STOP: 'stop',
  RESTART: 'restart',
} as const satisfies Record<string, SpecTaskAction>;

/** `'start' | 'stop' | 'restart'`, the values of {@link TaskAction}. */
export type TaskAction = (typeof TaskAction)[keyof typeof TaskAction];

const ACTIONS: readonly string[] = Object.values(TaskAction);

/** Whether `value` is one of the {@link TaskAction} values (for JavaScript callers, who get no type checks). */
export function isTaskAction(value: unknown): value is TaskAction {
  return typeof value === 'string' && ACTIONS.includes(value);
}
