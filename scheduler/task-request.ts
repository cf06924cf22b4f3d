import { RUNTIME_ENV } from '../protocol/runtime-env.ts';
import type { TaskSpec } from '../workflow/spec.ts';
import type { LiveExecution } from './execution.ts';
import { taskRuntimeEnv } from './executor/runtime.ts';
import type { SubmitRequest } from './executor/executor-options.ts';
import { snapshotModule } from './snapshot-files.ts';

/** A retry is a separate run for the executor, with its own files: its id encodes the attempt. */
const ATTEMPTS_PER_ID = 1000;
export const runId = (taskExecutionId: number, attempt: number) =>
  taskExecutionId * ATTEMPTS_PER_ID + attempt;
export const fromRunId = (id: number) => ({
  taskExecutionId: Math.floor(id / ATTEMPTS_PER_ID),
  attempt: id % ATTEMPTS_PER_ID,
});

/**
 * What the executor runs for one try of a task execution: the command or the function (found again in the
 * execution's snapshot module), and the environment through which the task's SDK client knows its server,
 * namespace, sender and execution context without arguments.
 */
export function taskRequest(
  execution: LiveExecution,
  task: TaskSpec,
  run: { taskExecutionId: number; sequence: number; attempt: number },
  server: { url: string; dataDir: string },
): SubmitRequest {
  const operator =
    task.operator.type === 'bash'
      ? { type: 'bash' as const, command: task.operator.command }
      : {
          type: 'function' as const,
          moduleFile: snapshotModule(server.dataDir, execution.snapshot),
          workflow: execution.spec.name,
          task: task.name,
        };
  const env = {
    ...taskRuntimeEnv({
      namespace: execution.record.namespace,
      workflowExecutionId: execution.record.id,
      taskExecutionId: run.taskExecutionId,
      sequence: run.sequence,
    }),
    [RUNTIME_ENV.server]: server.url,
    // Tasks log in with the home's admin credential: they run as the server's OS user, who can read it anyway.
    // Per-task credentials (a token scoped to the execution) would be set here instead.
    [RUNTIME_ENV.home]: server.dataDir,
    [RUNTIME_ENV.sender]: `${execution.record.id}_${task.name}_${run.sequence}`,
    [RUNTIME_ENV.context]: JSON.stringify({ workflowExecutionId: execution.record.id }),
  };
  return {
    taskExecutionId: runId(run.taskExecutionId, run.attempt),
    operator,
    env,
    timeoutMs: task.timeoutMs,
  };
}
