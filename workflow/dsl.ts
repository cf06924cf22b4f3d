/**
 * The workflow-definition API alone: what a workflow module imports. Runs anywhere (no Node built-ins), so the
 * client package ships it; `index.ts` adds the loader, which only the server and the CLI need.
 */
export { Workflow, WORKFLOW_DEFAULTS, type WorkflowOptions } from './workflow.ts';
export {
  Task,
  type TaskContext,
  type TaskFunction,
  type TaskOperator,
  type TaskRef,
  type TaskRule,
  type TaskStatusMap,
} from './task.ts';
export { TASK_DEFAULTS, type TaskOptions } from './checks.ts';
export { TaskAction } from './task-action.ts';
export { TaskStatus } from './task-status.ts';
export {
  Condition,
  MeetAllCondition,
  MeetAnyCondition,
  SingleEventCondition,
  TaskStatusCondition,
  type ConditionContext,
  type TaskStatusEntry,
} from './conditions.ts';
export { ValueStateDescriptor, type ValueState } from './state.ts';
export type { Event } from '../protocol/event.ts';
export { findCondition, findTask, toSpec } from './to-spec.ts';
export { validateWorkflow } from './validate.ts';
export type { ConditionSpec, OperatorSpec, RetrySpec, RuleSpec, TaskSpec, WorkflowSpec } from './spec.ts';
