import { AIFlowError } from '../protocol/errors.ts';
import { validateKey } from '../protocol/topics.ts';
import { parseScheduleExpression } from '../scheduler/schedule/expression.ts';
import type { RetrySpec } from './spec.ts';
import { isTaskAction, TaskAction } from './task-action.ts';
import { isTaskStatus, TaskStatus } from './task-status.ts';

/**
 * Checks of single values, shared by the DSL (which fails at the line that declares a wrong thing)
 * and by `validate.ts` (which checks what needs the whole workflow). Every message is one line.
 */

/** Workflow, task, MeetAll and value-state names: the namespace alphabet, so a name fits in a topic. */
// `.` and `..` are refused, so that a name is always usable as a file name.
export const NAME_PATTERN = /^(?!\.\.?$)[A-Za-z0-9_.-]{1,64}$/;
const NAME_RULE = '1-64 characters of A-Z a-z 0-9 _ - . (not . or ..)';

/** Key prefix that only the scheduler may send (`$task/…`, `$workflow/…`). */
export const RESERVED_PREFIX = '$';

export function invalid(message: string, cause?: unknown): AIFlowError {
  return new AIFlowError('INVALID_WORKFLOW', message, cause === undefined ? undefined : { cause });
}

/** A value in a message: strings quoted, other values by their JSON or type. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : String(value);
}

/** `what` names the value in the message, e.g. `task name` → `task name "a b" must be …`. */
export function checkName(what: string, name: unknown, where = ''): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw invalid(`${where}${what} ${show(name)} must be ${NAME_RULE}`);
  }
  return name;
}

/** The wire rules of a key (`validateKey`), as an INVALID_WORKFLOW error. `$` keys pass. */
export function checkKeyFormat(key: unknown): string {
  if (typeof key !== 'string') throw invalid(`event key must be a string, got ${show(key)}`);
  try {
    return validateKey(key);
  } catch (error) {
    throw invalid((error as Error).message, error);
  }
}

/** A key a user event may have: the wire rules, and not reserved. */
export function checkEventKey(key: unknown): string {
  checkKeyFormat(key);
  if ((key as string).startsWith(RESERVED_PREFIX)) {
    throw invalid(`event key ${show(key)} is reserved: keys starting with $ are sent only by the scheduler`);
  }
  return key as string;
}

export function checkAction(action: unknown, where = ''): TaskAction {
  if (!isTaskAction(action)) {
    throw invalid(
      `${where}action must be one of ${Object.values(TaskAction).map(show).join(', ')}, got ${show(action)}`,
    );
  }
  return action;
}

export function checkStatus(status: unknown, task: string, where = ''): TaskStatus {
  if (!isTaskStatus(status)) {
    const statuses = Object.values(TaskStatus).map(show).join(', ');
    throw invalid(`${where}status of ${show(task)} must be one of ${statuses}, got ${show(status)}`);
  }
  return status;
}

/** Options of `Workflow.bash` and `Workflow.fn`. */
export interface TaskOptions {
  /**
   * Retries after a failure (at most {@link MAX_RETRIES}); the n-th waits `backoffMs * 2^(n-1)`, `backoffMs` at most
   * {@link MAX_DURATION_MS}. @defaultValue `{ maxRetries: 0, backoffMs: 1000 }`
   */
  retry?: { maxRetries: number; backoffMs?: number };
  /** The task is killed and failed after this many milliseconds (at most {@link MAX_DURATION_MS}). @defaultValue no limit */
  timeoutMs?: number | null;
  /**
   * `cron@<5-field crontab>` or `interval@<days> <hours> <minutes> <seconds>`: the task is restarted on each tick
   * while its workflow execution runs. Parsed here as the scheduler will parse it, so a bad one fails the upload.
   * @defaultValue not periodic
   */
  periodic?: string | null;
}

/** The settled form of {@link TaskOptions}. */
export interface TaskSettings {
  retry: RetrySpec;
  timeoutMs: number | null;
  periodic: string | null;
}

export const TASK_DEFAULTS: Readonly<TaskSettings> = Object.freeze({
  retry: Object.freeze({ maxRetries: 0, backoffMs: 1000 }),
  timeoutMs: null,
  periodic: null,
});

const TASK_OPTION_KEYS = ['retry', 'timeoutMs', 'periodic'];
const RETRY_KEYS = ['maxRetries', 'backoffMs'];
const PERIODIC_PREFIXES = ['cron@', 'interval@'];

/** Longest timeout or retry back-off: 100 years, as the longest schedule interval; keeps due times far inside a Date. */
export const MAX_DURATION_MS = 36_525 * 86_400_000;
/** Most retries of one task execution: the exponential back-off of the last one stays a finite number. */
export const MAX_RETRIES = 100;

function isInteger(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** Options are checked key by key because JavaScript callers get no help from the types. */
export function checkTaskOptions(options: unknown, where = ''): TaskSettings {
  if (options === undefined) return { ...TASK_DEFAULTS, retry: { ...TASK_DEFAULTS.retry } };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`${where}task options must be an object, got ${show(options)}`);
  }
  checkKnownKeys(options, TASK_OPTION_KEYS, 'task option', where);
  const { retry, timeoutMs, periodic } = options as TaskOptions;
  return {
    retry: checkRetry(retry, where),
    timeoutMs: timeoutMs === undefined || timeoutMs === null ? null : checkTimeout(timeoutMs, where),
    periodic: periodic === undefined || periodic === null ? null : checkPeriodic(periodic, where),
  };
}

function checkKnownKeys(object: object, known: string[], what: string, where: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      throw invalid(`${where}unknown ${what} ${show(key)} (expected ${known.join(', ')})`);
    }
  }
}

function checkRetry(retry: unknown, where: string): RetrySpec {
  if (retry === undefined) return { ...TASK_DEFAULTS.retry };
  if (typeof retry !== 'object' || retry === null || Array.isArray(retry)) {
    throw invalid(`${where}retry must be an object { maxRetries, backoffMs }, got ${show(retry)}`);
  }
  checkKnownKeys(retry, RETRY_KEYS, 'retry option', where);
  const { maxRetries, backoffMs = TASK_DEFAULTS.retry.backoffMs } = retry as {
    maxRetries?: unknown;
    backoffMs?: unknown;
  };
  if (!isInteger(maxRetries, 0, MAX_RETRIES))
    throw invalid(
      `${where}retry.maxRetries must be an integer from 0 to ${MAX_RETRIES}, got ${show(maxRetries)}`,
    );
  if (!isInteger(backoffMs, 0, MAX_DURATION_MS))
    throw invalid(
      `${where}retry.backoffMs must be an integer from 0 to ${MAX_DURATION_MS} (100 years), got ${show(backoffMs)}`,
    );
  return { maxRetries, backoffMs };
}

function checkTimeout(timeoutMs: unknown, where: string): number {
  if (!isInteger(timeoutMs, 1, MAX_DURATION_MS))
    throw invalid(
      `${where}timeoutMs must be an integer from 1 to ${MAX_DURATION_MS} (100 years), got ${show(timeoutMs)}`,
    );
  return timeoutMs;
}

function checkPeriodic(periodic: unknown, where: string): string {
  if (typeof periodic !== 'string' || !PERIODIC_PREFIXES.some((prefix) => periodic.startsWith(prefix))) {
    throw invalid(`${where}periodic must be a "cron@…" or "interval@…" expression, got ${show(periodic)}`);
  }
  try {
    parseScheduleExpression(periodic);
  } catch (error) {
    // The scheduler parses it at every tick: a bad one is refused now, with the reason, not at the first start.
    throw invalid(`${where}periodic: ${(error as Error).message}`, error);
  }
  return periodic;
}
