// Rules as the DSL calls that declare them, and task actions in words (`task-execution show`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTaskAction } from '../../protocol/task-action-text.ts';
import type { TaskActionCause, TaskActionInfo } from '../../protocol/task-actions.ts';
import { ruleText } from '../../workflow/rule-text.ts';

test('a rule reads as the call that declares it', () => {
  assert.equal(
    ruleText({ action: 'start', condition: { type: 'event', key: 'model_ready' } }),
    'actionOnEventReceived(START, "model_ready")',
  );
  const statuses = (status: 'success' | 'failed') => ({
    type: 'taskStatus' as const,
    tasks: [
      { task: 'prepare', status: 'success' as const },
      { task: 'train', status },
    ],
  });
  assert.equal(ruleText({ action: 'start', condition: statuses('success') }), 'startAfter(prepare, train)');
  assert.equal(
    ruleText({ action: 'restart', condition: statuses('failed') }),
    'actionOnTaskStatus(RESTART, {prepare: SUCCESS, train: FAILED})',
  );
  assert.equal(
    ruleText({ action: 'stop', condition: { type: 'event', key: 'k', value: 'v' } }),
    'actionOnCondition(STOP, on event "k" = "v")',
  );
});

test('every kind of cause reads as one line', () => {
  const event = {
    offset: 1234,
    namespace: 'default',
    key: 'model_ready',
    sender: 'trainer-7',
    createTime: 0,
  };
  const line = (action: TaskActionInfo['action'], cause: TaskActionCause, attempt = 1) =>
    describeTaskAction({ id: 1, taskExecutionId: 1, action, attempt, cause, time: 0 });
  const rule = { kind: 'rule', rule: 2, text: 'actionOnEventReceived(START, "model_ready")' } as const;
  assert.equal(
    line('start', {
      ...rule,
      condition: 'on event "model_ready"',
      event: { ...event, createTime: Date.UTC(2026, 10, 29, 10, 1, 2) },
    }),
    'started by rule 2 actionOnEventReceived(START, "model_ready") on event 1,234 model_ready from trainer-7 at 2026-11-29T10:01:02.000Z',
  );
  assert.equal(
    line('stop', { kind: 'request', method: 'taskExecution.stop', client: 'aiflow-1' }),
    'stopped by request taskExecution.stop from aiflow-1',
  );
  assert.equal(
    line('start', { kind: 'request', method: 'workflowExecution.start' }),
    'started by request workflowExecution.start',
  );
  assert.equal(
    line('start', { kind: 'schedule', scheduleId: 3, expression: 'cron@0 * * * *' }),
    'started with its workflow execution, started by schedule 3 (cron@0 * * * *)',
  );
  assert.match(
    line('start', { kind: 'trigger', triggerId: 4, event }),
    /^started with its workflow execution, started by trigger 4 on event 1,234 model_ready from trainer-7 at /,
  );
  assert.equal(
    line('start', { kind: 'retry', attempt: 2, maxRetries: 3 }, 2),
    'try 2 started by retry 1 of 3 after a failed try',
  );
  assert.equal(line('stop', { kind: 'timeout', timeoutMs: 500 }), 'stopped by its time-out (500 ms)');
  assert.equal(
    line('restart', { kind: 'periodic', expression: 'interval@0 0 1 0' }),
    'restarted by a tick of its periodic expression interval@0 0 1 0',
  );
  assert.match(line('start', { kind: 'recovery' }), /^started by recovery: handed to the executor again/);
  assert.equal(
    line('stop', { kind: 'execution-stop', workflowExecutionId: 9, method: 'workflowExecution.stop' }),
    'stopped with workflow execution 9, stopped by request workflowExecution.stop',
  );
});
