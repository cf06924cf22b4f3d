/** The shapes of the scheduler's replies the pages read (README "Queries"), as type-only imports. */
import type { TaskExecutionRecord, WorkflowExecutionRecord } from '../scheduler/store/records.ts';

export type {
  NamespaceRecord,
  TaskExecutionRecord,
  WorkflowExecutionRecord,
  WorkflowRecord,
} from '../scheduler/store/records.ts';
export type { ConditionSpec, RuleSpec, TaskSpec, WorkflowSpec } from '../workflow/spec.ts';
export type { WorkflowScheduleInfo, WorkflowTriggerInfo } from '../protocol/scheduler-api.ts';
export type { Event } from '../protocol/event.ts';
export type { TaskStatusContext, WorkflowStatusContext } from '../protocol/status-events.ts';

/** The execution with its task executions (`workflowExecution.show`). */
export interface ExecutionDetail extends WorkflowExecutionRecord {
  taskExecutions: TaskExecutionRecord[];
}

/** Parses a status event's JSON context; null when it is not one. */
export function statusContext<T>(context: string | null): T | null {
  if (!context) return null;
  try {
    return JSON.parse(context) as T;
  } catch {
    return null;
  }
}
