import { RUNTIME_ENV } from '../protocol/runtime-env.ts';
import { taskPassword, taskUsername } from '../protocol/task-credential.ts';
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

/** Where task processes connect, and the secret their logins are derived from (none: tasks get no login). */
export interface TaskServer {
  url: string;
  dataDir: string;
  taskSecret?: string;
}

/**
 * What the executor runs for one try of a task execution: the command or the function (found again in the
 * execution's snapshot module), and the environment through which the task's SDK client knows its server,
 * namespace, sender and execution context without arguments.
 */
export function taskRequest(
  execution: LiveExecution,
  task: TaskSpec,
  run: { taskExecutionId: number; sequence: number; attempt: number },
  server: TaskServer,
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
  const identity = {
    namespace: execution.record.namespace,
    workflowExecutionId: execution.record.id,
    taskExecutionId: run.taskExecutionId,
  };
  const env = {
    ...taskRuntimeEnv({ ...identity, sequence: run.sequence }),
    [RUNTIME_ENV.server]: server.url,
    // The task's own login, scoped to its namespace and execution: it needs nothing from the server's home.
    ...(server.taskSecret === undefined ? {} : taskLoginEnv(server.taskSecret, taskUsername(identity))),
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

function taskLoginEnv(secret: string, username: string): Record<string, string> {
  return { [RUNTIME_ENV.username]: username, [RUNTIME_ENV.password]: taskPassword(secret, username) };
}
