import assert from 'node:assert/strict';
import { test } from 'node:test';
import { METHOD_ROLES } from '../../protocol/access-roles.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { REQUEST_METHOD_NAMES, REQUEST_METHODS } from '../../protocol/request-methods.ts';
import { parseRequestParams } from '../../protocol/request-validation.ts';

const refused = (code: string, message?: string) => (error: unknown) => {
  assert.ok(error instanceof AIFlowError, String(error));
  assert.equal(error.code, code, error.message);
  if (message !== undefined) assert.equal(error.message, message);
  assert.doesNotMatch(error.message, /\n/);
  return true;
};

test('each kind of bad param is INVALID_REQUEST naming the method and the param, on one line', () => {
  const cases: [method: string, params: unknown, message: string][] = [
    [
      'workflow.show',
      {},
      'workflow.show: workflow is required: a plain name: 1-255 characters, not . or .., without /, \\ or NUL',
    ],
    [
      'workflow.show',
      { workflow: '' },
      'workflow.show: workflow must be a plain name: 1-255 characters, not . or .., without /, \\ or NUL',
    ],
    [
      'workflow.show',
      { workflow: 7 },
      'workflow.show: workflow must be a plain name: 1-255 characters, not . or .., without /, \\ or NUL',
    ],
    [
      'workflow.show',
      { workflow: '..' },
      'workflow.show: workflow must be a plain name: 1-255 characters, not . or .., without /, \\ or NUL',
    ],
    [
      'workflowExecution.show',
      { workflowExecutionId: 'abc' },
      'workflowExecution.show: workflowExecutionId must be a positive integer',
    ],
    [
      'workflowExecution.stop',
      { workflowExecutionId: 0 },
      'workflowExecution.stop: workflowExecutionId must be a positive integer',
    ],
    [
      'taskExecution.show',
      { taskExecutionId: 1.5 },
      'taskExecution.show: taskExecutionId must be a positive integer',
    ],
    [
      'taskExecution.readLog',
      { taskExecutionId: 1, offset: -1 },
      'taskExecution.readLog: offset must be a non-negative integer',
    ],
    ['workflowExecution.prune', { dryRun: 'yes' }, 'workflowExecution.prune: dryRun must be a boolean'],
    ['events.send', { namespace: 'd', key: 'k', value: 3 }, 'events.send: value must be a string'],
    ['events.list', { keys: 'k' }, 'events.list: keys must be an array of event keys'],
    ['events.list', { limit: 0 }, 'events.list: limit must be an integer from 1 to 10000'],
    ['events.list', { beginOffset: '3' }, 'events.list: beginOffset must be a non-negative integer'],
    ['events.prune', {}, 'events.prune: createdBefore or keepPerNamespace must be given'],
    ['workflow.list', [], 'workflow.list: params must be an object'],
  ];
  for (const [method, params, message] of cases) {
    assert.throws(() => parseRequestParams(method, params), refused('INVALID_REQUEST', message), message);
  }
});

test('names that break the topic grammar keep their own codes', () => {
  assert.throws(
    () => parseRequestParams('workflow.list', { namespace: 'a b' }),
    refused('INVALID_NAMESPACE'),
  );
  assert.throws(() => parseRequestParams('namespace.add', { name: 'ü' }), refused('INVALID_NAMESPACE'));
  assert.throws(
    () => parseRequestParams('workflowTrigger.add', { workflow: 'w', eventKey: 'a+b' }),
    refused('INVALID_KEY', 'event key "a+b" must not contain +, # or NUL'),
  );
  assert.throws(
    () => parseRequestParams('events.list', { keys: ['ok', 'é'.repeat(257)] }),
    refused('INVALID_KEY'),
  );
});

test('an undeclared method is UNKNOWN_METHOD', () => {
  for (const method of ['events.drop', 'workflow.nope', 'toString', '__proto__', '']) {
    assert.throws(
      () => parseRequestParams(method, {}),
      refused('UNKNOWN_METHOD', `unknown method ${JSON.stringify(method)}`),
    );
  }
});

test('valid params come back decoded: numeric-string ids, defaults, nulls as absent, unknown params dropped', () => {
  assert.deepEqual(parseRequestParams('workflowExecution.show', { workflowExecutionId: '12' }), {
    method: 'workflowExecution.show',
    params: { workflowExecutionId: 12 },
  });
  assert.deepEqual(parseRequestParams('workflow.show', { workflow: 'w', namespace: null, extra: 1 }).params, {
    workflow: 'w',
    namespace: 'default',
  });
  assert.deepEqual(parseRequestParams('taskExecution.readLog', { taskExecutionId: 3 }).params, {
    taskExecutionId: 3,
    offset: 0,
  });
  assert.deepEqual(parseRequestParams('events.send', { namespace: 'n', key: 'k', context: null }).params, {
    namespace: 'n',
    key: 'k',
    value: '',
  });
  assert.deepEqual(parseRequestParams('namespace.list', undefined).params, {});
});

test('METHOD_ROLES is derived from the declarations: every method, the role it declares', () => {
  assert.deepEqual(Object.keys(METHOD_ROLES).sort(), [...REQUEST_METHOD_NAMES].sort());
  for (const method of REQUEST_METHOD_NAMES) assert.equal(METHOD_ROLES[method], REQUEST_METHODS[method].role);
  // The roles the access rules were written against.
  assert.equal(METHOD_ROLES['events.send'], 'publisher');
  assert.equal(METHOD_ROLES['events.prune'], 'admin');
  assert.equal(METHOD_ROLES['workflowExecution.start'], 'operator');
  assert.equal(METHOD_ROLES['taskExecution.readLog'], 'viewer');
  assert.equal(METHOD_ROLES['workflow.upload'], 'admin');
});
