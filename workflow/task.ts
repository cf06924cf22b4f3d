import { taskStatusKey } from '../protocol/status-events.ts';
import { checkAction, checkName, checkStatus, invalid, show, type TaskSettings } from './checks.ts';
import {
  isCondition,
  SingleEventCondition,
  TaskStatusCondition,
  type Condition,
  type TaskStatusEntry,
} from './conditions.ts';
import type { RetrySpec } from './spec.ts';
import { TaskAction } from './task-action.ts';
import { TaskStatus } from './task-status.ts';
import type { Workflow } from './workflow.ts';

/** What a function task's function receives; the function runner fills it in. */
export interface TaskContext {
  workflow: string;
  task: string;
  namespace: string;
  workflowExecutionId: number;
  taskExecutionId: number;
  /** 1 for the first execution of the task in its workflow execution, then 2, 3, … */
  sequence: number;
  /** Aborted when the task is stopped or times out: a long-running function should watch it and return. */
  signal: AbortSignal;
}

/** The body of a function task. A returned promise is awaited; throwing (or rejecting) fails the task. */
export type TaskFunction = (context: TaskContext) => unknown | Promise<unknown>;

/** What a task runs. */
export type TaskOperator = { type: 'bash'; command: string } | { type: 'function'; fn: TaskFunction };

/** One rule of a task: when `condition` is met, `action` is applied to the task. */
export interface TaskRule {
  readonly action: TaskAction;
  readonly condition: Condition;
}

/** A task, by object or by name (a name may refer to a task declared later in the same workflow). */
export type TaskRef = Task | string;

/**
 * Upstream tasks and the status each must have, for {@link Task.actionOnTaskStatus}: either an object keyed by
 * task name (`{ train: TaskStatus.SUCCESS }`) or pairs, which also take Task objects
 * (`[[train, TaskStatus.SUCCESS]]`, or a `Map`).
 */
export type TaskStatusMap = Readonly<Record<string, TaskStatus>> | Iterable<readonly [TaskRef, TaskStatus]>;

/**
 * A task of a workflow, created by `Workflow.bash` or `Workflow.fn`. Its rules say when it starts, stops or
 * restarts; a task with no START rule starts as soon as its workflow execution starts. For one event, the task's
 * rules that expect the event's key are evaluated in declaration order and the first one met wins.
 */
export class Task {
  /** Retry policy after a failure. */
  readonly retry: RetrySpec;
  /** The task is killed and failed after this long; `null`: no limit. */
  readonly timeoutMs: number | null;
  /** `cron@…` / `interval@…` expression, or `null`. */
  readonly periodic: string | null;
  readonly #rules: TaskRule[] = [];

  /** @internal Use `Workflow.bash` or `Workflow.fn`. */
  constructor(
    /** The workflow that declared the task. */
    readonly workflow: Workflow,
    readonly name: string,
    readonly operator: TaskOperator,
    settings: TaskSettings,
  ) {
    this.retry = settings.retry;
    this.timeoutMs = settings.timeoutMs;
    this.periodic = settings.periodic;
  }

  /** The rules, in declaration order. */
  get rules(): readonly TaskRule[] {
    return this.#rules;
  }

  /** The reserved key of this task's status events, `$task/<workflow>/<task>`, for custom conditions. */
  get statusKey(): string {
    return taskStatusKey(this.workflow.name, this.name);
  }

  /**
   * Starts this task when every one of `tasks` has succeeded (their latest executions in the same workflow
   * execution have status `success`). Same as `actionOnTaskStatus(TaskAction.START, …)` with `success` each.
   *
   * @example `evaluate.startAfter([train, prepare])`
   */
  startAfter(tasks: TaskRef | readonly TaskRef[]): this {
    const list: readonly TaskRef[] = Array.isArray(tasks) ? tasks : [tasks as TaskRef];
    if (list.length === 0) throw invalid(`${this.#where()}startAfter needs at least one task`);
    return this.#addTaskStatusRule(
      TaskAction.START,
      list.map((task) => [task, TaskStatus.SUCCESS] as const),
    );
  }

  /**
   * Applies `action` when the latest execution of each listed task (same workflow execution) has the given
   * status. One rule per call; it is checked on every status change of the listed tasks.
   *
   * @example
   * ```ts
   * cleanup.actionOnTaskStatus(TaskAction.START, { train: TaskStatus.FAILED });
   * retrain.actionOnTaskStatus(TaskAction.RESTART, [[validate, TaskStatus.FAILED]]);
   * ```
   */
  actionOnTaskStatus(action: TaskAction, statuses: TaskStatusMap): this {
    const where = this.#where();
    if (typeof statuses !== 'object' || statuses === null) {
      throw invalid(
        `${where}task statuses must be an object or a list of [task, status] pairs, got ${show(statuses)}`,
      );
    }
    const pairs: Iterable<readonly [TaskRef, TaskStatus]> =
      Symbol.iterator in statuses ? statuses : Object.entries(statuses as Record<string, TaskStatus>);
    const list = [...pairs];
    if (list.length === 0) throw invalid(`${where}actionOnTaskStatus needs at least one task`);
    return this.#addTaskStatusRule(action, list);
  }

  /**
   * Applies `action` on every event with `key` in the workflow's namespace: from a task of the same workflow
   * execution, or from outside (an event without execution context reaches every running execution).
   *
   * @param key - an event key; keys starting with `$` are reserved.
   * @example `serve.actionOnEventReceived(TaskAction.RESTART, 'model/updated')`
   */
  actionOnEventReceived(action: TaskAction, key: string): this {
    return this.actionOnCondition(action, new SingleEventCondition(key));
  }

  /**
   * Applies `action` when `condition` is met: a built-in (`SingleEventCondition`, `MeetAnyCondition`,
   * `MeetAllCondition`, `TaskStatusCondition`) or a subclass of `Condition`.
   */
  actionOnCondition(action: TaskAction, condition: Condition): this {
    const where = this.#where();
    checkAction(action, where);
    if (!isCondition(condition))
      throw invalid(`${where}condition must be a Condition, got ${show(condition)}`);
    this.#rules.push(Object.freeze({ action, condition }));
    return this;
  }

  #addTaskStatusRule(action: TaskAction, pairs: readonly (readonly [TaskRef, TaskStatus])[]): this {
    const where = this.#where();
    checkAction(action, where);
    const entries: TaskStatusEntry[] = pairs.map((pair) => {
      if (!Array.isArray(pair)) throw invalid(`${where}expected a [task, status] pair, got ${show(pair)}`);
      const [ref, status] = pair;
      const task = this.#taskName(ref);
      return { task, status: checkStatus(status, task, where) };
    });
    return this.actionOnCondition(action, new TaskStatusCondition(this.workflow.name, entries));
  }

  #taskName(ref: unknown): string {
    const where = this.#where();
    if (typeof ref === 'string') return checkName('task name', ref, where);
    if (isTaskLike(ref)) {
      if (ref.workflow !== this.workflow) {
        throw invalid(`${where}task ${show(ref.name)} belongs to workflow ${show(ref.workflow.name)}`);
      }
      return ref.name;
    }
    throw invalid(`${where}a task must be a Task or a task name, got ${show(ref)}`);
  }

  #where(): string {
    return `workflow ${show(this.workflow.name)} task ${show(this.name)}: `;
  }
}

// Duck-typed rather than `instanceof`: the Task may come from another copy of this package.
function isTaskLike(value: unknown): value is Task {
  const task = value as Partial<Task> | null;
  return (
    typeof task === 'object' &&
    task !== null &&
    typeof task.name === 'string' &&
    typeof task.workflow === 'object'
  );
}
