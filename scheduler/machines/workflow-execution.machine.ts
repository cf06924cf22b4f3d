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
  types: {
    events: {} as WorkflowExecutionEvent,
    /** Which execution: the provided actions find it from its id (one machine serves them all). */
    context: {} as { workflowExecutionId: number },
    input: {} as { workflowExecutionId: number },
  },
  actions: {
    stopTasks: () => undefined,
    /** Entered a final status (given as params: a snapshot read during an entry action is the previous one). */
    ended: (_, _params: { status: 'success' | 'failed' | 'stopped' }) => undefined,
  },
  guards: {
    outcomeIs: ({ event }, outcome: 'success' | 'failed' | 'stopped') =>
      event.type === 'execution.settled' && event.outcome === outcome,
  },
}).createMachine({
  id: 'workflowExecution',
  initial: 'running',
  context: ({ input }) => ({ workflowExecutionId: input.workflowExecutionId }),
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
    success: { type: 'final', entry: { type: 'ended', params: { status: 'success' } } },
    failed: { type: 'final', entry: { type: 'ended', params: { status: 'failed' } } },
    stopped: { type: 'final', entry: ['stopTasks', { type: 'ended', params: { status: 'stopped' } }] },
  },
});

export type WorkflowExecutionSnapshot = SnapshotFrom<typeof workflowExecutionMachine>;
