import { taskStatusKey } from '../protocol/status-events.ts';
import { checkTaskOptions, invalid, RESERVED_PREFIX, show } from './checks.ts';
import {
  builtinKind,
  childConditions,
  type Condition,
  type MeetAllCondition,
  type TaskStatusCondition,
} from './conditions.ts';
import { TaskAction } from './task-action.ts';
import type { Task } from './task.ts';
import type { Workflow } from './workflow.ts';

/*
 * What the DSL cannot check where a thing is declared, because it needs the whole workflow (a rule may name a
 * task declared later) or the whole module. Names, options, actions, statuses and event keys are checked by the
 * DSL itself, so that an error points at the line that caused it.
 */

/** One condition of a task's rule, with the place it was found, for messages. */
interface Located {
  task: Task;
  ruleIndex: number;
  condition: Condition;
}

function* conditionsOf(workflow: Workflow): Generator<Located> {
  for (const task of workflow.tasks) {
    for (const [ruleIndex, rule] of task.rules.entries()) {
      const stack: Condition[] = [rule.condition];
      for (let condition = stack.pop(); condition !== undefined; condition = stack.pop()) {
        yield { task, ruleIndex, condition };
        stack.push(...[...childConditions(condition)].reverse());
      }
    }
  }
}

function where({ task, ruleIndex }: Located): string {
  return `workflow ${show(task.workflow.name)} task ${show(task.name)} rule ${ruleIndex}: `;
}

/**
 * Checks what needs the whole workflow, and throws the first problem found:
 *
 * 1. the workflow has at least one task, and each task's retry, timeout and periodic settings are still valid (a
 *    JavaScript caller may have changed them after the DSL checked them);
 * 2. every task named in a task-status condition exists in this workflow, and the condition is for this workflow;
 * 3. a custom condition expects no reserved key (`$…`) other than the status keys of this workflow's tasks;
 * 4. no two `MeetAllCondition`s (or two uses of one) share a name: the name is their state's name;
 * 5. every task can start at some point (see {@link findTasksThatNeverStart}).
 *
 * @throws AIFlowError `INVALID_WORKFLOW` with a one-line message naming the workflow, task and rule index.
 */
export function validateWorkflow(workflow: Workflow): void {
  const name = show(workflow.name);
  if (workflow.tasks.length === 0) throw invalid(`workflow ${name} has no task`);
  for (const task of workflow.tasks) {
    const { retry, timeoutMs, periodic } = task;
    checkTaskOptions({ retry, timeoutMs, periodic }, `workflow ${name} task ${show(task.name)}: `);
  }
  const taskNames = new Set(workflow.tasks.map((task) => task.name));
  const statusKeys = new Set(workflow.tasks.map((task) => taskStatusKey(workflow.name, task.name)));
  const meetAll = new Map<string, Located>();
  for (const located of conditionsOf(workflow)) {
    const { condition } = located;
    const kind = builtinKind(condition);
    if (kind === 'taskStatus') {
      const taskStatus = condition as TaskStatusCondition;
      if (taskStatus.workflow !== workflow.name) {
        throw invalid(
          `${where(located)}TaskStatusCondition is for workflow ${show(taskStatus.workflow)}: a rule sees only its own workflow's tasks`,
        );
      }
      const unknown = taskStatus.statuses.find(({ task }) => !taskNames.has(task));
      if (unknown) throw invalid(`${where(located)}unknown task ${show(unknown.task)}`);
    } else if (kind === undefined) {
      const reserved = condition.expectedKeys.find(
        (key) => key.startsWith(RESERVED_PREFIX) && !statusKeys.has(key),
      );
      if (reserved !== undefined) {
        throw invalid(
          `${where(located)}event key ${show(reserved)} is reserved: a custom condition may expect only the status keys of this workflow's tasks ($task/${workflow.name}/<task>)`,
        );
      }
    } else if (kind === 'all') {
      const stateName = (condition as MeetAllCondition).name;
      const first = meetAll.get(stateName);
      if (first) {
        throw invalid(
          `workflow ${name}: MeetAllCondition name ${show(stateName)} is used twice (task ${show(first.task.name)} rule ${first.ruleIndex}, task ${show(located.task.name)} rule ${located.ruleIndex}); it names the condition's state`,
        );
      }
      meetAll.set(stateName, located);
    }
  }
  const stuck = findTasksThatNeverStart(workflow);
  if (stuck.length > 0) {
    throw invalid(
      `workflow ${name}: ${stuck.length === 1 ? 'task' : 'tasks'} ${stuck.map(show).join(', ')} can never start: every rule that could start ${stuck.length === 1 ? 'it waits for its own status' : 'them waits for the status of one of them'}`,
    );
  }
}

/**
 * The tasks that can never have an execution, in declaration order. A task *can start* if
 *
 * - it has no START rule (it starts with its workflow execution), or
 * - one of its START or RESTART rules (RESTART starts a task that is not running) has a condition that can be
 *   met, where an event or custom condition can always be met (any event may arrive), a task-status condition can
 *   be met when every task it names can start, `any` when one child can be met and `all` when every child can.
 *
 * This is a least fixed point, computed by repeating the rule until nothing changes. A task that cannot start
 * waits, directly or through other such tasks, for the status of a task in a cycle of task-status rules such as
 * `a.startAfter(b); b.startAfter(a)`, where neither a nor b has another way to start. Statuses are not examined:
 * `b.actionOnTaskStatus(START, { a: FAILED })` counts as possible as soon as `a` can start.
 */
export function findTasksThatNeverStart(workflow: Workflow): string[] {
  const canStart = new Set<string>();
  const possible = (condition: Condition): boolean => {
    switch (builtinKind(condition)) {
      case 'taskStatus':
        return (condition as TaskStatusCondition).statuses.every(({ task }) => canStart.has(task));
      case 'any':
        return childConditions(condition).some(possible);
      case 'all':
        return childConditions(condition).every(possible);
      default:
        return true;
    }
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const task of workflow.tasks) {
      if (canStart.has(task.name)) continue;
      const autoStarts = !task.rules.some((rule) => rule.action === TaskAction.START);
      const starters = task.rules.filter((rule) => rule.action !== TaskAction.STOP);
      if (autoStarts || starters.some((rule) => possible(rule.condition))) {
        canStart.add(task.name);
        changed = true;
      }
    }
  }
  return workflow.tasks.map((task) => task.name).filter((name) => !canStart.has(name));
}

/**
 * Checks every workflow of one module: each with {@link validateWorkflow}, then that no two share namespace and
 * name. The same object exported twice (default and named) counts once.
 */
export function validateModule(workflows: readonly Workflow[]): void {
  const seen = new Map<string, Workflow>();
  for (const workflow of workflows) {
    validateWorkflow(workflow);
    const id = `${workflow.namespace}/${workflow.name}`;
    const first = seen.get(id);
    if (first !== undefined && first !== workflow) {
      throw invalid(
        `workflow ${show(workflow.name)} in namespace ${show(workflow.namespace)} is declared twice`,
      );
    }
    seen.set(id, workflow);
  }
}
