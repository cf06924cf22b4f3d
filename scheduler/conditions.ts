import type { Event } from '../protocol/event.ts';
import type { TaskStatus } from '../protocol/status.ts';
import { taskStatusKey } from '../protocol/status-events.ts';
import { expectedKeys, type ConditionSpec, type WorkflowSpec } from '../workflow/spec.ts';

/** What a condition may read and change while it is evaluated for one event. */
export interface EvaluationScope {
  workflow: string;
  taskStatus(task: string): TaskStatus | undefined;
  getState(name: string): unknown;
  setState(name: string, value: unknown): void;
  /** User code: runs in the condition sandbox; an error or a time-out counts as not met. */
  custom(path: string, event: Event): Promise<boolean>;
}

/** Evaluates a declarative condition for an event whose key it expects. */
export async function isMet(
  condition: ConditionSpec,
  event: Event,
  scope: EvaluationScope,
): Promise<boolean> {
  const expects = (c: ConditionSpec) =>
    expectedKeys(c, (task) => taskStatusKey(scope.workflow, task)).includes(event.key);
  switch (condition.type) {
    case 'event':
      return condition.value === undefined || condition.value === event.value;
    case 'taskStatus':
      // Reads the latest statuses, not the event: several upstream tasks may have to agree.
      return condition.tasks.every((t) => scope.taskStatus(t.task) === t.status);
    case 'custom':
      return scope.custom(condition.path, event);
    case 'any':
      for (const child of condition.conditions) {
        if (expects(child) && (await isMet(child, event, scope))) return true;
      }
      return false;
    case 'all': {
      // Each child's last result is remembered, so children may be met by different events.
      const previous = scope.getState(condition.name);
      const results = Array.isArray(previous)
        ? condition.conditions.map((_, i) => previous[i] === true)
        : condition.conditions.map(() => false);
      for (const [i, child] of condition.conditions.entries()) {
        if (expects(child)) results[i] = await isMet(child, event, scope);
      }
      scope.setState(condition.name, results);
      return results.every(Boolean);
    }
  }
}

/** Whether a workflow has user code to run in the condition sandbox (in a task rule or a trigger). */
export function usesCustomConditions(spec: Pick<WorkflowSpec, 'tasks' | 'triggers'>): boolean {
  const custom = (c: ConditionSpec): boolean =>
    c.type === 'custom' || ((c.type === 'any' || c.type === 'all') && c.conditions.some(custom));
  return [
    ...spec.tasks.flatMap((task) => task.rules.map((rule) => rule.condition)),
    ...(spec.triggers ?? []),
  ].some(custom);
}
