import type { StopRequest, TaskOutcome } from './task-files.ts';

/** A reason is one line in a status event and in the CLI: keep it short. */
const MAX_REASON_LENGTH = 500;

/** What a process's exit says when nobody interfered. */
export function exitOutcome(exitCode: number | null, signal: string | null): TaskOutcome {
  if (exitCode === 0) return { status: 'success', exitCode, signal: null, reason: 'exit code 0' };
  const reason = signal !== null ? `killed by signal ${signal}` : `exit code ${String(exitCode)}`;
  return { status: 'failed', exitCode, signal, reason };
}

/** The failure a function task threw, as one line. */
export function errorOutcome(error: unknown): TaskOutcome {
  return { status: 'failed', exitCode: null, signal: null, reason: errorReason(error) };
}

export function errorReason(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : `thrown: ${String(error)}`;
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 1)}…` : line;
}

/** Why the executor killed a try that outran its task's time-out (the scheduler recognises it). */
export function timeoutReason(timeoutMs: number): string {
  return `timeout after ${timeoutMs} ms`;
}

/** Why a try that was still waiting for a free process slot ended: it never started. */
export const STOPPED_BEFORE_START = 'stopped before start';

/** The verdict of a runner that received SIGTERM without a stop request on file (someone else's signal). */
export const DEFAULT_STOP: StopRequest = { status: 'stopped', reason: 'stopped by SIGTERM' };

/**
 * How a task ended once a stop or timeout may have interfered.
 * The executor writes the stop request before its first signal, so a stop request on file means "we were
 * killing it": an end other than a success is then the stop's doing (a bash child killed by the group's SIGTERM
 * can be reaped before the runner's own SIGTERM handler runs). A success that beat the signal stays a success,
 * unless the runner itself was signalled: then the work ended because it was asked to.
 */
export function settleOutcome(
  work: TaskOutcome,
  stop: StopRequest | undefined,
  signalled: boolean,
): TaskOutcome {
  if (stop === undefined && !signalled) return work;
  if (work.status === 'success' && !signalled) return work;
  const verdict = stop ?? DEFAULT_STOP;
  return { status: verdict.status, exitCode: work.exitCode, signal: work.signal, reason: verdict.reason };
}
