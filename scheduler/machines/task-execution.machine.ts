import { assign, setup, type SnapshotFrom } from 'xstate';

export interface TaskExecutionContext {
  /** Which task execution: the provided actions find everything else from it (one machine serves them all). */
  taskExecutionId: number;
  /** 1 for the first try. */
  attempt: number;
  maxRetries: number;
  /** Why the last try failed or the execution stopped. */
  reason: string | null;
}

export type TaskExecutionEvent =
  | { type: 'task.queue' }
  | { type: 'task.started' }
  | { type: 'task.succeeded' }
  | { type: 'task.failed'; reason: string }
  | { type: 'task.stop' }
  | { type: 'task.stopped'; reason?: string }
  | { type: 'task.retryDue' };

/**
 * One task execution. Pure logic: every side effect is a named action the scheduler provides
 * (`submit` a process, `stopProcess`, `scheduleRetry` / `cancelRetry` a timer kept in the database).
 * State names are the task statuses of the wire contract.
 */
export const taskExecutionMachine = setup({
  types: {
    context: {} as TaskExecutionContext,
    events: {} as TaskExecutionEvent,
    input: {} as { taskExecutionId: number; maxRetries: number },
  },
  actions: {
    submit: () => undefined,
    stopProcess: () => undefined,
    scheduleRetry: () => undefined,
    cancelRetry: () => undefined,
    recordReason: assign({
      reason: ({ event }) => ('reason' in event && event.reason !== undefined ? event.reason : null),
    }),
    nextAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
  },
  guards: {
    canRetry: ({ context }) => context.attempt <= context.maxRetries,
  },
}).createMachine({
  id: 'taskExecution',
  initial: 'init',
  context: ({ input }) => ({
    taskExecutionId: input.taskExecutionId,
    attempt: 1,
    maxRetries: input.maxRetries,
    reason: null,
  }),
  states: {
    init: {
      on: { 'task.queue': 'queued', 'task.stop': 'stopped' },
    },
    queued: {
      entry: 'submit',
      on: {
        'task.started': 'running',
        'task.succeeded': 'success',
        'task.failed': { target: 'failing', actions: 'recordReason' },
        // The process may already have been handed out: stop it and wait for the executor's confirmation.
        'task.stop': 'stopping',
        // Taken back before it started (or stopped by the executor itself): there is no process to wait for.
        'task.stopped': { target: 'stopped', actions: 'recordReason' },
      },
    },
    running: {
      on: {
        'task.succeeded': 'success',
        'task.failed': { target: 'failing', actions: 'recordReason' },
        'task.stop': 'stopping',
        'task.stopped': { target: 'stopped', actions: 'recordReason' },
      },
    },
    failing: {
      always: [{ guard: 'canRetry', target: 'retrying' }, { target: 'failed' }],
    },
    retrying: {
      entry: ['scheduleRetry'],
      on: {
        'task.retryDue': { target: 'queued', actions: 'nextAttempt' },
        'task.stop': { target: 'stopped', actions: 'cancelRetry' },
      },
    },
    stopping: {
      entry: 'stopProcess',
      on: {
        'task.stopped': { target: 'stopped', actions: 'recordReason' },
        // The process ended on its own while being stopped: the stop request wins.
        'task.succeeded': 'stopped',
        'task.failed': 'stopped',
      },
    },
    success: { type: 'final' },
    failed: { type: 'final' },
    stopped: { type: 'final' },
  },
});

export type TaskExecutionSnapshot = SnapshotFrom<typeof taskExecutionMachine>;
