import { setup, type SnapshotFrom } from 'xstate';

export type WorkflowExecutionEvent =
  | { type: 'execution.stop' }
  /** Nothing is left that can run: the outcome is computed from the tasks' latest executions. */
  | { type: 'execution.settled'; outcome: 'success' | 'failed' | 'stopped' };

/**
 * One workflow execution: running until stopped or settled. Side effects are named actions the scheduler
 * provides (`stopTasks` on a stop request, `ended` when a final status is reached).
 */
export const workflowExecutionMachine = setup({
  types: { events: {} as WorkflowExecutionEvent },
  actions: {
    stopTasks: () => undefined,
    ended: () => undefined,
  },
  guards: {
    outcomeIs: ({ event }, outcome: 'success' | 'failed' | 'stopped') =>
      event.type === 'execution.settled' && event.outcome === outcome,
  },
}).createMachine({
  id: 'workflowExecution',
  initial: 'running',
  states: {
    running: {
      on: {
        'execution.stop': 'stopped',
        'execution.settled': [
          { guard: { type: 'outcomeIs', params: 'failed' }, target: 'failed' },
          { guard: { type: 'outcomeIs', params: 'stopped' }, target: 'stopped' },
          { target: 'success' },
        ],
      },
    },
    success: { type: 'final', entry: 'ended' },
    failed: { type: 'final', entry: 'ended' },
    stopped: { type: 'final', entry: ['stopTasks', 'ended'] },
  },
});

export type WorkflowExecutionSnapshot = SnapshotFrom<typeof workflowExecutionMachine>;
