import { describeCondition } from '../../workflow/rule-text.ts';
import type { RuleSpec, TaskSpec, WorkflowSpec } from '../../workflow/spec.ts';
import type { RequestResult } from '../../protocol/request-methods.ts';

/** `b: START when a is success` */
export function describeRule(task: string, rule: RuleSpec): string {
  return `${task}: ${rule.action.toUpperCase()} ${describeCondition(rule.condition)}`;
}

function describeTask(task: TaskSpec): string[] {
  const operator =
    task.operator.type === 'bash' ? `bash ${JSON.stringify(task.operator.command)}` : 'function';
  const extras = [
    task.periodic ? `periodic ${task.periodic}` : '',
    task.timeoutMs === null ? '' : `timeout ${task.timeoutMs} ms`,
    task.retry.maxRetries > 0 ? `${task.retry.maxRetries} retries (backoff ${task.retry.backoffMs} ms)` : '',
  ].filter(Boolean);
  return [
    `  ${task.name}  ${operator}${extras.length ? `  [${extras.join(', ')}]` : ''}`,
    ...(task.rules.some((rule) => rule.action === 'start')
      ? []
      : [`    ${task.name}: START with the workflow execution`]),
    ...task.rules.map((rule) => `    ${describeRule(task.name, rule)}`),
  ];
}

export interface WorkflowDescription {
  spec: WorkflowSpec;
  schedules: RequestResult<'workflowSchedule.list'>;
  triggers: RequestResult<'workflowTrigger.list'>;
}

/** The human view of `workflow show`: tasks with their rules, then schedules and triggers. */
export function describeWorkflow({ spec, schedules, triggers }: WorkflowDescription): string {
  const paused = (p: boolean) => (p ? ' (paused)' : '');
  const lines = [
    'tasks:',
    ...spec.tasks.flatMap(describeTask),
    'schedules:',
    ...(schedules.length === 0
      ? ['  (none)']
      : schedules.map(
          (s) => `  ${s.id}: ${s.expression}${s.description ? ` (${s.description})` : ''}${paused(s.paused)}`,
        )),
    'triggers:',
    ...(triggers.length === 0
      ? ['  (none)']
      : triggers.map((t) => `  ${t.id}: ${describeCondition(t.condition)} [${t.origin}]${paused(t.paused)}`)),
  ];
  return lines.join('\n') + '\n';
}
