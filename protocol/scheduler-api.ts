import type { Static } from '@sinclair/typebox';
import type {
  WorkflowScheduleInfo as ScheduleSchema,
  WorkflowTriggerInfo as TriggerSchema,
} from './request-records.ts';
import type { RequestParams, RequestResult } from './request-methods.ts';

/** What the scheduler's schedule methods return (see the README's method table). */
export type WorkflowScheduleInfo = Static<typeof ScheduleSchema>;

/** What the scheduler's trigger methods return; `origin` `module`: declared with `addTrigger`, `cli`: added by key. */
export type WorkflowTriggerInfo = Static<typeof TriggerSchema>;

/** A workflow by namespace and name (the namespace defaults to `default`). */
export type WorkflowRef = RequestParams<'workflow.show'>;

/** What `taskExecution.show` returns: the task execution, and every action taken on it with its cause, in order. */
export type TaskExecutionInfo = RequestResult<'taskExecution.show'>;
