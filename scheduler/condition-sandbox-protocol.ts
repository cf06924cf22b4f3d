// The messages between the scheduler and a condition sandbox process (over Node's IPC channel, JSON).
import type { Event } from '../protocol/event.ts';
import type { TaskStatus } from '../protocol/status.ts';

/** One custom condition to evaluate for one event, with what its `context` may read. */
export interface SandboxEvaluation {
  workflow: string;
  /** The condition's path in its workflow (`<task>/<rule index>[/<child index>…]` or `$trigger/<index>…`). */
  path: string;
  event: Event;
  states: Record<string, unknown>;
  taskStatuses: Record<string, TaskStatus>;
}

/** What one evaluation decided. */
export interface SandboxResult {
  met: boolean;
  /** Value states the condition updated. */
  updates: Record<string, unknown>;
}

/** One evaluation's outcome: a result, or why the condition failed (it then counts as not met). */
export type SandboxOutcome = ({ ok: true } & SandboxResult) | { ok: false; error: string };

/** Scheduler → sandbox: evaluate these, in order, and answer once with every outcome. */
export interface EvaluateMessage {
  type: 'evaluate';
  batch: number;
  evaluations: SandboxEvaluation[];
}

/** Sandbox → scheduler. */
export type SandboxMessage =
  /** The workflow module is loaded: the process takes evaluations from now on. */
  | { type: 'ready' }
  /** The workflow module could not be loaded; the process exits. */
  | { type: 'failed'; error: string }
  | { type: 'results'; batch: number; outcomes: SandboxOutcome[] };

/** Command line of the sandbox process: `node <entry> <module bundle> <time limit in ms>`. */
export function sandboxArgs(moduleBundle: string, timeoutMs: number): string[] {
  return [moduleBundle, String(timeoutMs)];
}
