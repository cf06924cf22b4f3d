export { SYSTEM_CLOCK, type Clock } from './clock.ts';
export {
  LOCAL_EXECUTOR_DEFAULTS,
  type AdoptRecord,
  type LocalTaskExecutorOptions,
  type SubmitRequest,
} from './executor-options.ts';
export {
  LocalTaskExecutor,
  type LocalTaskExecutorEvents,
  type RunningTask,
  type TaskFinished,
  type TaskStarted,
} from './local-executor.ts';
export {
  TASK_RUNTIME_ENV,
  taskIdentityFromEnv,
  taskRuntimeEnv,
  type TaskExecutionIdentity,
} from './runtime.ts';
export { logPath, type TaskEndStatus, type TaskOperator, type TaskOutcome } from './task-files.ts';
