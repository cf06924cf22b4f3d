import type { TaskStatus } from '../protocol/status.ts';

/**
 * The declarative, JSON-serialisable form of a workflow, extracted from a user's module by the isolated loader.
 * The scheduler works only on specs; user code (function tasks, custom conditions) runs in other processes,
 * found again by workflow name, task name and condition path.
 */
export interface WorkflowSpec {
  name: string;
  namespace: string;
  /** In declaration order. */
  tasks: TaskSpec[];
  /** Workflow triggers declared in the module (`workflow.addTrigger(condition)`); paths start with `$trigger/`. */
  triggers?: ConditionSpec[];
}

export type TaskAction = 'start' | 'stop' | 'restart';

export type OperatorSpec =
  /** `bash -c <command>` */
  | { type: 'bash'; command: string }
  /** Calls the task's function from the module (found again by workflow and task name). */
  | { type: 'function' };

export interface RetrySpec {
  /** Retries after a failure; 0 means none. */
  maxRetries: number;
  /** Wait before the first retry; doubles at each further retry. */
  backoffMs: number;
}

export interface TaskSpec {
  name: string;
  operator: OperatorSpec;
  /** In declaration order: for one event, the first matching rule that fires wins. */
  rules: RuleSpec[];
  retry: RetrySpec;
  /** The task is killed and failed after this long; null: no limit. */
  timeoutMs: number | null;
  /** `cron@…` or `interval@…`: restarted on each tick while its execution runs; null: not periodic. */
  periodic: string | null;
}

export interface RuleSpec {
  action: TaskAction;
  condition: ConditionSpec;
}

export type ConditionSpec =
  /** Met by any event with this key (and, if given, this value: e.g. `$workflow/etl` with `success`). */
  | { type: 'event'; key: string; value?: string }
  /** Met when any child is met (children that expect the event's key are evaluated in order, first wins). */
  | { type: 'any'; conditions: ConditionSpec[] }
  /**
   * Met when every child has been met; remembers each child's last result in value state `name`
   * (scoped to the workflow execution), so the children may be met by different events.
   */
  | { type: 'all'; name: string; conditions: ConditionSpec[] }
  /** Met when the latest execution of each listed task (same workflow execution) has the given status. */
  | { type: 'taskStatus'; tasks: { task: string; status: TaskStatus }[] }
  /**
   * User code: `isMet(event, context)` runs in the condition sandbox. `path` finds the condition object again:
   * `<task>/<rule index>` followed by `/<child index>` for each level of any/all nesting.
   */
  | { type: 'custom'; path: string; keys: string[] };

/** Every event key a condition expects (it is evaluated only for those). */
export function expectedKeys(condition: ConditionSpec, taskStatusKey: (task: string) => string): string[] {
  switch (condition.type) {
    case 'event':
      return [condition.key];
    case 'any':
    case 'all':
      return [...new Set(condition.conditions.flatMap((c) => expectedKeys(c, taskStatusKey)))];
    case 'taskStatus':
      return condition.tasks.map((t) => taskStatusKey(t.task));
    case 'custom':
      return condition.keys;
  }
}
