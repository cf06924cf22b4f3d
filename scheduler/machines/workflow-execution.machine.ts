import { setup, type SnapshotFrom } from 'xstate';

export type WorkflowExecutionEvent =
  | { type: 'execution.stop' }
  /** Nothing is left that can run: the outcome is computed from the tasks' latest executions. */
  | { type: 'execution.settled'; outcome: 'success' | 'failed' | 'stopped' }
  /** While stopping: the last task process of the execution has exited. */
  | { type: 'execution.drained' };

/** The statuses an execution enters after `running` (given as params: a snapshot read in an entry action is the previous one). */
export type EnteredStatus = 'stopping' | 'success' | 'failed' | 'stopped';

/**
 * One workflow execution: running until stopped or settled. A stop is honest: the execution stays `stopping`
 * (live) until every task process has exited, and only then becomes `stopped`. Side effects are named actions the
 * scheduler provides (`stopTasks` when stopping begins, `entered` on each status change after `running`).
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
    entered: (_, _params: { status: EnteredStatus }) => undefined,
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
        'execution.stop': 'stopping',
        'execution.settled': [
          { guard: { type: 'outcomeIs', params: 'failed' }, target: 'failed' },
          { guard: { type: 'outcomeIs', params: 'stopped' }, target: 'stopped' },
          { target: 'success' },
        ],
      },
    },
    stopping: {
      entry: [{ type: 'entered', params: { status: 'stopping' } }, 'stopTasks'],
      on: { 'execution.drained': 'stopped' },
    },
    success: { type: 'final', entry: { type: 'entered', params: { status: 'success' } } },
    failed: { type: 'final', entry: { type: 'entered', params: { status: 'failed' } } },
    stopped: { type: 'final', entry: { type: 'entered', params: { status: 'stopped' } } },
  },
});

export type WorkflowExecutionSnapshot = SnapshotFrom<typeof workflowExecutionMachine>;
