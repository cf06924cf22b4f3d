import { AIFlowError } from '../../protocol/errors.ts';

/**
 * The moments of a task start and end at which a crash of the scheduler process leaves different traces on disk,
 * in order. Each one, and what a restarted scheduler does after it, is in the README's crash-point table; the
 * test suite kills the server at each (see {@link CRASH_AT_ENV}).
 */
export const CRASH_POINTS = [
  /** The scheduler committed the task `queued`; the executor has not written the spec file (its claim). */
  'before-claim',
  /** The spec file exists; no runner process was spawned. */
  'after-claim',
  /** The runner was spawned; its pid file is not written. */
  'after-spawn',
  /** The pid file is written; the scheduler has not recorded the task `running`. */
  'after-pid',
  /** The runner exited (its status or exit file is on disk); the executor has not reported it. */
  'after-exit-file',
  /** The scheduler committed the task's final status; its status event may not be published yet. */
  'after-status-commit',
] as const;

/**
 * Beside the named points: `after-commit:<input label>` kills the scheduler once it has committed a batch holding
 * that input (e.g. `after-commit:event:go`), before any of the batch's effects (task submits, timers, status
 * events, replies) ran.
 */
const AFTER_COMMIT = 'after-commit:';

export type CrashPoint = (typeof CRASH_POINTS)[number];

/**
 * Fault injection for tests: with `AIFLOW_TEST_CRASH_AT=<point>` in its environment, the process kills itself with
 * SIGKILL the first time it reaches that point (a real crash: nothing is flushed or closed).
 */
export const CRASH_AT_ENV = 'AIFLOW_TEST_CRASH_AT';

/** Throws `INVALID_OPTION` when the variable names no crash point, so a typo in a test cannot pass silently. */
export function checkCrashPointEnv(env: NodeJS.ProcessEnv = process.env): void {
  const value = env[CRASH_AT_ENV];
  if (value === undefined || value === '' || (CRASH_POINTS as readonly string[]).includes(value)) return;
  if (value.startsWith(AFTER_COMMIT) && value.length > AFTER_COMMIT.length) return;
  throw new AIFlowError(
    'INVALID_OPTION',
    `${CRASH_AT_ENV} must be one of ${CRASH_POINTS.join(', ')}, got ${JSON.stringify(value)}`,
  );
}

/** Marks a crash point: a no-op unless the test hook names it. */
export function crashPoint(point: CrashPoint): void {
  if (process.env[CRASH_AT_ENV] === point) process.kill(process.pid, 'SIGKILL');
}

/**
 * The scheduler's hook after each batch commit (given the labels of the batch's inputs), or undefined when no
 * commit crash point is set: `after-commit:<label>`, and `after-status-commit` (a batch holding a task's end).
 */
export function commitCrashHook(
  value: string | undefined = process.env[CRASH_AT_ENV],
): ((labels: readonly string[]) => void) | undefined {
  const label =
    value === 'after-status-commit'
      ? 'task.finished'
      : value?.startsWith(AFTER_COMMIT)
        ? value.slice(AFTER_COMMIT.length)
        : undefined;
  if (label === undefined) return undefined;
  return (labels) => {
    if (labels.includes(label)) process.kill(process.pid, 'SIGKILL');
  };
}
