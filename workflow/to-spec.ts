import { invalid, show } from './checks.ts';
import {
  builtinKind,
  childConditions,
  type Condition,
  type MeetAllCondition,
  type SingleEventCondition,
  type TaskStatusCondition,
} from './conditions.ts';
import type { ConditionSpec, TaskSpec, WorkflowSpec } from './spec.ts';
import type { Task } from './task.ts';
import type { Workflow } from './workflow.ts';

/*
 * Everything here reads public fields only (and the Symbol.for brands of conditions), so it works on workflows
 * built by another copy of this package.
 */

/** Paths of trigger conditions start with this (never a task name: `$` is not allowed in names). */
export const TRIGGER_PATH = '$trigger';

/**
 * The declarative, JSON-serialisable form of `workflow` that the scheduler works on. It does not validate:
 * call `validateWorkflow` first.
 */
export function toSpec(workflow: Workflow): WorkflowSpec {
  return {
    name: workflow.name,
    namespace: workflow.namespace,
    tasks: workflow.tasks.map(taskToSpec),
    triggers: workflow.triggers.map((condition, index) =>
      conditionToSpec(condition, `${TRIGGER_PATH}/${index}`),
    ),
  };
}

function taskToSpec(task: Task): TaskSpec {
  return {
    name: task.name,
    operator:
      task.operator.type === 'bash' ? { type: 'bash', command: task.operator.command } : { type: 'function' },
    rules: task.rules.map((rule, index) => ({
      action: rule.action,
      condition: conditionToSpec(rule.condition, `${task.name}/${index}`),
    })),
    retry: { maxRetries: task.retry.maxRetries, backoffMs: task.retry.backoffMs },
    timeoutMs: task.timeoutMs,
    periodic: task.periodic,
  };
}

/**
 * The spec of one condition found at `path` (`<task>/<rule index>`, then `/<child index>` for each level of
 * `any`/`all` nesting): a custom condition's spec carries that path so the sandbox can find it again.
 */
export function conditionToSpec(condition: Condition, path: string): ConditionSpec {
  const children = () =>
    childConditions(condition).map((child, index) => conditionToSpec(child, `${path}/${index}`));
  switch (builtinKind(condition)) {
    case 'event':
      return { type: 'event', key: (condition as SingleEventCondition).key };
    case 'any':
      return { type: 'any', conditions: children() };
    case 'all':
      return { type: 'all', name: (condition as MeetAllCondition).name, conditions: children() };
    case 'taskStatus':
      return {
        type: 'taskStatus',
        tasks: (condition as TaskStatusCondition).statuses.map(({ task, status }) => ({ task, status })),
      };
    case undefined:
      return { type: 'custom', path, keys: [...condition.expectedKeys] };
  }
}

/**
 * The task named `name`, e.g. for the function runner.
 *
 * @throws AIFlowError `INVALID_WORKFLOW` if the workflow has no such task (the module changed since its spec).
 */
export function findTask(workflow: Workflow, name: string): Task {
  const task = workflow.tasks.find((candidate) => candidate.name === name);
  if (task === undefined) throw invalid(`workflow ${show(workflow.name)} has no task ${show(name)}`);
  return task;
}

/**
 * The condition at `path` (the `path` of a `custom` condition spec), e.g. for the condition sandbox.
 *
 * @throws AIFlowError `INVALID_WORKFLOW` if nothing is at `path` (the module changed since its spec).
 */
export function findCondition(workflow: Workflow, path: string): Condition {
  const [taskName = '', ruleIndex, ...childIndexes] = path.split('/');
  const notFound = () => invalid(`workflow ${show(workflow.name)} has no condition at path ${show(path)}`);
  const task = workflow.tasks.find((candidate) => candidate.name === taskName);
  let condition =
    taskName === TRIGGER_PATH
      ? workflow.triggers[parseIndex(ruleIndex)]
      : task?.rules[parseIndex(ruleIndex)]?.condition;
  for (const childIndex of childIndexes) {
    if (condition === undefined) break;
    condition = childConditions(condition)[parseIndex(childIndex)];
  }
  if (condition === undefined) throw notFound();
  return condition;
}

/** A decimal index, or -1 (which finds nothing) for anything else, e.g. `"1e0"` or `" 1"`. */
function parseIndex(text: string | undefined): number {
  return text !== undefined && /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : -1;
}
