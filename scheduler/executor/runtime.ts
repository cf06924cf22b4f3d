import { RUNTIME_ENV } from '../../protocol/runtime-env.ts';
import { DEFAULT_NAMESPACE } from '../../protocol/topics.ts';

/**
 * Environment variables that tell a task process which execution it is, next to the SDK's {@link RUNTIME_ENV}
 * (server, sender, context). The scheduler sets them at submit; the task runner turns them into the context
 * a function task receives.
 */
export const TASK_RUNTIME_ENV = {
  namespace: RUNTIME_ENV.namespace,
  workflowExecutionId: 'AIFLOW_WORKFLOW_EXECUTION_ID',
  taskExecutionId: 'AIFLOW_TASK_EXECUTION_ID',
  sequence: 'AIFLOW_SEQUENCE',
} as const;

export interface TaskExecutionIdentity {
  namespace: string;
  workflowExecutionId: number;
  taskExecutionId: number;
  /** 1 for the first execution of the task in its workflow execution, then 2, 3… */
  sequence: number;
}

/** The variables of {@link TASK_RUNTIME_ENV} for one task execution (the scheduler passes them to `submit`). */
export function taskRuntimeEnv(identity: TaskExecutionIdentity): Record<string, string> {
  return {
    [TASK_RUNTIME_ENV.namespace]: identity.namespace,
    [TASK_RUNTIME_ENV.workflowExecutionId]: String(identity.workflowExecutionId),
    [TASK_RUNTIME_ENV.taskExecutionId]: String(identity.taskExecutionId),
    [TASK_RUNTIME_ENV.sequence]: String(identity.sequence),
  };
}

/**
 * The identity of the current task execution from the environment, for the context of a function task.
 * A variable that is missing (a runner started by hand) reads as 0, or the default namespace.
 */
export function taskIdentityFromEnv(env: NodeJS.ProcessEnv = process.env): TaskExecutionIdentity {
  return {
    namespace: nonEmpty(env[TASK_RUNTIME_ENV.namespace]) ?? DEFAULT_NAMESPACE,
    workflowExecutionId: integer(env[TASK_RUNTIME_ENV.workflowExecutionId]) ?? 0,
    taskExecutionId: integer(env[TASK_RUNTIME_ENV.taskExecutionId]) ?? 0,
    sequence: integer(env[TASK_RUNTIME_ENV.sequence]) ?? 0,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function integer(value: string | undefined): number | null {
  const text = nonEmpty(value);
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}
