import type { ConditionSpec, RuleSpec } from './spec.ts';

/** One condition in words: `a is success and b is failed`, `on event "halt"`, `custom condition "p" (keys: k)`. */
export function describeCondition(condition: ConditionSpec): string {
  switch (condition.type) {
    case 'event':
      return `on event ${JSON.stringify(condition.key)}${
        condition.value === undefined ? '' : ` = ${JSON.stringify(condition.value)}`
      }`;
    case 'taskStatus':
      return 'when ' + condition.tasks.map((t) => `${t.task} is ${t.status}`).join(' and ');
    case 'custom':
      return `when custom condition ${JSON.stringify(condition.path)} (keys: ${condition.keys.join(', ')})`;
    case 'any':
      return `when any of (${condition.conditions.map(describeCondition).join('; ')})`;
    case 'all':
      return `when all of (${condition.conditions.map(describeCondition).join('; ')})`;
  }
}

/**
 * A rule as the DSL call that declares it: `actionOnEventReceived(START, "model_ready")`, `startAfter(prepare)`,
 * `actionOnTaskStatus(RESTART, {validate: FAILED})`; any other condition: `actionOnCondition(STOP, <in words>)`.
 */
export function ruleText(rule: RuleSpec): string {
  const action = rule.action.toUpperCase();
  const { condition } = rule;
  if (condition.type === 'event' && condition.value === undefined)
    return `actionOnEventReceived(${action}, ${JSON.stringify(condition.key)})`;
  if (condition.type === 'taskStatus') {
    if (rule.action === 'start' && condition.tasks.every((t) => t.status === 'success'))
      return `startAfter(${condition.tasks.map((t) => t.task).join(', ')})`;
    const statuses = condition.tasks.map((t) => `${t.task}: ${t.status.toUpperCase()}`).join(', ');
    return `actionOnTaskStatus(${action}, {${statuses}})`;
  }
  return `actionOnCondition(${action}, ${describeCondition(condition)})`;
}
