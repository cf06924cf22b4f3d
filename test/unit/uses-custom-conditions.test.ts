import assert from 'node:assert/strict';
import test from 'node:test';
import { usesCustomConditions } from '../../scheduler/conditions.ts';
import type { ConditionSpec, TaskSpec } from '../../workflow/spec.ts';

const task = (condition: ConditionSpec) =>
  ({ name: 't', rules: [{ action: 'start', condition }] }) as unknown as TaskSpec;
const custom: ConditionSpec = { type: 'custom', path: 't/0', keys: ['k'] };
const event: ConditionSpec = { type: 'event', key: 'k' };

test('a workflow uses custom conditions when a rule or a trigger has one, at any depth', () => {
  assert.equal(usesCustomConditions({ tasks: [task(event)] }), false);
  assert.equal(usesCustomConditions({ tasks: [task(custom)] }), true);
  assert.equal(
    usesCustomConditions({
      tasks: [task({ type: 'any', conditions: [event, { type: 'all', name: 'a', conditions: [custom] }] })],
    }),
    true,
  );
  assert.equal(usesCustomConditions({ tasks: [], triggers: [event] }), false);
  assert.equal(usesCustomConditions({ tasks: [], triggers: [custom] }), true);
});
