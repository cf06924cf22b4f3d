import { writeSync } from 'node:fs';
import type { RunningWork } from './bash-task.ts';
import { errorOutcome } from './outcome.ts';
import { taskIdentityFromEnv } from './runtime.ts';
import type { TaskOperator, TaskOutcome } from './task-files.ts';

type FunctionOperator = Extract<TaskOperator, { type: 'function' }>;

/**
 * Calls a function task inside the runner: loads the user's workflow module, finds the task and awaits
 * `fn(context)`. A stop aborts `context.signal`; the runner waits for the function to return (the executor's
 * SIGKILL after its grace period bounds that wait).
 */
export function startFunctionTask(
  operator: FunctionOperator,
  taskExecutionId: number,
  logFd: number,
): RunningWork {
  redirectOutput(logFd);
  const controller = new AbortController();
  // A function awaiting only a signal leaves no handle that keeps Node alive: it would exit with code 13
  // (unsettled top-level await) instead of waiting for the function as long as it runs.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const done = callTask(operator, taskExecutionId, controller.signal)
    .finally(() => clearInterval(keepAlive))
    .then(
      (): TaskOutcome => ({ status: 'success', exitCode: null, signal: null, reason: 'function returned' }),
      (error: unknown) => {
        // The reason is one line; the log gets the whole stack, which is what the user needs to fix it.
        process.stderr.write(`${error instanceof Error ? (error.stack ?? String(error)) : String(error)}\n`);
        return errorOutcome(error);
      },
    );
  return { done, stop: () => controller.abort() };
}

async function callTask(
  operator: FunctionOperator,
  taskExecutionId: number,
  signal: AbortSignal,
): Promise<void> {
  // Imported here, not at the top: bash tasks should not pay for loading the workflow API.
  const { loadWorkflows } = await import('../../workflow/loader.ts');
  const { findTask } = await import('../../workflow/to-spec.ts');
  const { workflows } = await loadWorkflows(operator.moduleFile);
  const workflow = workflows.find((w) => w.name === operator.workflow);
  if (workflow === undefined)
    throw new Error(`no workflow named ${operator.workflow} in ${operator.moduleFile}`);
  const task = findTask(workflow, operator.task);
  if (task.operator.type !== 'function') throw new Error(`task ${operator.task} is not a function task`);
  if (signal.aborted) return; // stopped while loading: the runner reports the stop
  // `signal` goes beyond the workflow API's TaskContext: a function that knows it can end early on a stop.
  const context = {
    ...taskIdentityFromEnv(),
    taskExecutionId,
    workflow: workflow.name,
    task: task.name,
    signal,
  };
  await task.operator.fn(context);
}

/**
 * The function runs in the runner's process: what it prints through `process.stdout`/`stderr` (console included)
 * is appended to the log synchronously, so nothing is lost when the runner exits right after the function.
 * (When the executor started the runner, fd 1 and 2 are the log already; this also covers a runner started by hand.)
 */
function redirectOutput(fd: number): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown): boolean => {
      writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, asEncoding(encoding)) : chunk);
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
  }
}

function asEncoding(value: unknown): BufferEncoding {
  return typeof value === 'string' && Buffer.isEncoding(value) ? value : 'utf8';
}
