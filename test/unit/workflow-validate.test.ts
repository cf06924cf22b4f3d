import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Condition,
  MeetAllCondition,
  MeetAnyCondition,
  SingleEventCondition,
  TaskAction,
  TaskStatus,
  TaskStatusCondition,
  validateWorkflow,
  ValueStateDescriptor,
  Workflow,
} from '../../workflow/index.ts';
import { findTasksThatNeverStart, validateModule } from '../../workflow/validate.ts';

const NAME_RULE = 'must be 1-64 characters of A-Z a-z 0-9 _ - . (not . or ..)';
const STATUSES = '"init", "queued", "running", "success", "failed", "stopping", "stopped", "retrying"';

/** Asserts the error code and the exact one-line message. */
function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, { name: 'AIFlowError', code: 'INVALID_WORKFLOW', message });
}

/** What a JavaScript caller may pass despite the types. */
const untyped = <T>(value: unknown): T => value as T;

class Custom extends Condition {
  isMet(): boolean {
    return true;
  }
}

test('invalid workflow names, namespaces and options', () => {
  rejects(() => new Workflow('bad name'), `workflow name "bad name" ${NAME_RULE}`);
  rejects(() => new Workflow(''), `workflow name "" ${NAME_RULE}`);
  rejects(() => new Workflow('a'.repeat(65)), `workflow name "${'a'.repeat(65)}" ${NAME_RULE}`);
  rejects(() => new Workflow(untyped(7)), `workflow name 7 ${NAME_RULE}`);
  rejects(() => new Workflow('..'), `workflow name ".." ${NAME_RULE}`);
  rejects(() => new Workflow('wf', { namespace: '.' }), `workflow "wf": namespace "." ${NAME_RULE}`);
  rejects(() => new Workflow('wf', { namespace: 'a/b' }), `workflow "wf": namespace "a/b" ${NAME_RULE}`);
  rejects(
    () => new Workflow('wf', untyped({ namepsace: 'ops' })),
    'workflow "wf": unknown workflow option "namepsace" (expected namespace)',
  );
  rejects(
    () => new Workflow('wf', untyped('ops')),
    'workflow "wf": workflow options must be an object, got "ops"',
  );
  assert.equal(new Workflow('a'.repeat(64)).name.length, 64);
  assert.equal(new Workflow('A-z_0.9').name, 'A-z_0.9');
});

test('invalid task names, duplicate task names, commands and functions', () => {
  const workflow = new Workflow('wf');
  rejects(() => workflow.bash('a/b', 'true'), `workflow "wf": task name "a/b" ${NAME_RULE}`);
  rejects(() => workflow.fn(untyped(undefined), () => 1), `workflow "wf": task name undefined ${NAME_RULE}`);
  workflow.bash('a', 'true');
  rejects(() => workflow.bash('a', 'true'), 'workflow "wf": duplicate task name "a"');
  rejects(() => workflow.fn('a', () => 1), 'workflow "wf": duplicate task name "a"');
  rejects(() => workflow.bash('b', '  '), 'workflow "wf" task "b": bash command must be a non-empty string');
  rejects(
    () => workflow.bash('b', untyped(1)),
    'workflow "wf" task "b": bash command must be a non-empty string',
  );
  rejects(
    () => workflow.fn('b', untyped('echo')),
    'workflow "wf" task "b": fn must be a function, got "echo"',
  );
  assert.deepEqual(
    workflow.tasks.map((task) => task.name),
    ['a'],
    'a rejected task is not added',
  );
});

test('invalid retry, timeout and periodic options', () => {
  const workflow = new Workflow('wf');
  const where = 'workflow "wf" task "t": ';
  const cases: [unknown, string][] = [
    [5, 'task options must be an object, got 5'],
    [{ timeout: 5 }, 'unknown task option "timeout" (expected retry, timeoutMs, periodic)'],
    [{ retry: 3 }, 'retry must be an object { maxRetries, backoffMs }, got 3'],
    [
      { retry: { maxRetries: 1, backoff: 5 } },
      'unknown retry option "backoff" (expected maxRetries, backoffMs)',
    ],
    [{ retry: {} }, 'retry.maxRetries must be an integer from 0 to 100, got undefined'],
    [{ retry: { maxRetries: -1 } }, 'retry.maxRetries must be an integer from 0 to 100, got -1'],
    [{ retry: { maxRetries: 1.5 } }, 'retry.maxRetries must be an integer from 0 to 100, got 1.5'],
    [{ retry: { maxRetries: Infinity } }, 'retry.maxRetries must be an integer from 0 to 100, got Infinity'],
    [
      { retry: { maxRetries: 1, backoffMs: -5 } },
      'retry.backoffMs must be an integer from 0 to 3155760000000 (100 years), got -5',
    ],
    [
      { retry: { maxRetries: 1, backoffMs: '5' } },
      'retry.backoffMs must be an integer from 0 to 3155760000000 (100 years), got "5"',
    ],
    [{ timeoutMs: 0 }, 'timeoutMs must be an integer from 1 to 3155760000000 (100 years), got 0'],
    [{ timeoutMs: 2.5 }, 'timeoutMs must be an integer from 1 to 3155760000000 (100 years), got 2.5'],
    [{ timeoutMs: NaN }, 'timeoutMs must be an integer from 1 to 3155760000000 (100 years), got NaN'],
    [
      { periodic: 'every 5 minutes' },
      'periodic must be a "cron@…" or "interval@…" expression, got "every 5 minutes"',
    ],
    [{ periodic: 60 }, 'periodic must be a "cron@…" or "interval@…" expression, got 60'],
    [{ retry: { maxRetries: 101 } }, 'retry.maxRetries must be an integer from 0 to 100, got 101'],
    [
      { retry: { maxRetries: 1, backoffMs: 1e13 } },
      'retry.backoffMs must be an integer from 0 to 3155760000000 (100 years), got 10000000000000',
    ],
    [
      { timeoutMs: 1e13 },
      'timeoutMs must be an integer from 1 to 3155760000000 (100 years), got 10000000000000',
    ],
    [
      { periodic: 'cron@61 * * * *' },
      'periodic: invalid schedule "cron@61 * * * *": minute field "61": 61 is out of range 0-59',
    ],
    [
      { periodic: 'cron@0 0 30 2 *' },
      'periodic: invalid schedule "cron@0 0 30 2 *": day-of-month field "30" never occurs in month field "2" (February), so it would never run',
    ],
    [
      { periodic: 'cron@* * *' },
      'periodic: invalid schedule "cron@* * *": expected 5 fields (minute hour day-of-month month day-of-week, e.g. cron@*/5 * * * *), got 3',
    ],
    [
      { periodic: 'interval@0 0 0 0' },
      'periodic: invalid schedule "interval@0 0 0 0": the interval must be longer than zero',
    ],
    [
      { periodic: 'interval@1 2' },
      'periodic: invalid schedule "interval@1 2": expected 4 numbers (days hours minutes seconds, e.g. interval@0 0 10 0), got 2',
    ],
  ];
  for (const [options, message] of cases) {
    rejects(() => workflow.bash('t', 'true', untyped(options)), where + message);
    rejects(() => workflow.fn('t', () => 1, untyped(options)), where + message);
  }
  const valid = workflow.bash('t', 'true', { retry: { maxRetries: 0, backoffMs: 0 }, timeoutMs: 1 });
  assert.deepEqual([valid.retry, valid.timeoutMs], [{ maxRetries: 0, backoffMs: 0 }, 1]);
});

test('options changed after declaration are checked again with the whole workflow', () => {
  const workflow = new Workflow('wf');
  const task = workflow.bash('t', 'true', { periodic: 'interval@0 0 1 0' });
  Object.assign(task, { periodic: 'cron@0 0 31 4 *' });
  rejects(
    () => validateWorkflow(workflow),
    'workflow "wf" task "t": periodic: invalid schedule "cron@0 0 31 4 *": day-of-month field "31" never occurs in month field "4" (April), so it would never run',
  );
  Object.assign(task, { periodic: null, timeoutMs: -1 });
  rejects(
    () => validateWorkflow(workflow),
    'workflow "wf" task "t": timeoutMs must be an integer from 1 to 3155760000000 (100 years), got -1',
  );
  Object.assign(task, { timeoutMs: null, retry: { maxRetries: 1e6, backoffMs: 1 } });
  rejects(
    () => validateWorkflow(workflow),
    'workflow "wf" task "t": retry.maxRetries must be an integer from 0 to 100, got 1000000',
  );
});

test('invalid actions, statuses and task references in rules', () => {
  const workflow = new Workflow('wf');
  const a = workflow.bash('a', 'true');
  const b = workflow.bash('b', 'true');
  const other = new Workflow('other').bash('x', 'true');
  const where = 'workflow "wf" task "b": ';
  rejects(
    () => b.actionOnEventReceived(untyped('go'), 'k'),
    `${where}action must be one of "start", "stop", "restart", got "go"`,
  );
  rejects(
    () => b.actionOnTaskStatus(TaskAction.START, { a: untyped('done') }),
    `${where}status of "a" must be one of ${STATUSES}, got "done"`,
  );
  rejects(() => b.startAfter([]), `${where}startAfter needs at least one task`);
  rejects(
    () => b.actionOnTaskStatus(TaskAction.START, {}),
    `${where}actionOnTaskStatus needs at least one task`,
  );
  rejects(
    () => b.actionOnTaskStatus(TaskAction.START, []),
    `${where}actionOnTaskStatus needs at least one task`,
  );
  rejects(() => b.startAfter(other), `${where}task "x" belongs to workflow "other"`);
  rejects(
    () => b.actionOnTaskStatus(TaskAction.STOP, [[other, TaskStatus.FAILED]]),
    `${where}task "x" belongs to workflow "other"`,
  );
  rejects(() => b.startAfter(untyped(3)), `${where}a task must be a Task or a task name, got 3`);
  rejects(() => b.startAfter('bad name'), `${where}task name "bad name" ${NAME_RULE}`);
  rejects(
    () => b.actionOnTaskStatus(TaskAction.START, untyped('a')),
    `${where}task statuses must be an object or a list of [task, status] pairs, got "a"`,
  );
  rejects(
    () => b.actionOnTaskStatus(TaskAction.START, untyped(['a'])),
    `${where}expected a [task, status] pair, got "a"`,
  );
  rejects(
    () => b.actionOnCondition(TaskAction.START, untyped({ isMet: () => true })),
    `${where}condition must be a Condition, got an object`,
  );
  assert.deepEqual(b.rules, [], 'a rejected rule is not added');
  assert.equal(a.startAfter('later-task').rules.length, 1, 'a name may refer to a task declared later');
});

test('invalid event keys: wire rules and the reserved $ prefix', () => {
  const workflow = new Workflow('wf');
  const task = workflow.bash('t', 'true');
  rejects(() => task.actionOnEventReceived(TaskAction.START, ''), 'event key must not be empty');
  rejects(
    () => task.actionOnEventReceived(TaskAction.START, 'a+b'),
    'event key "a+b" must not contain +, # or NUL',
  );
  rejects(() => new SingleEventCondition('a/#'), 'event key "a/#" must not contain +, # or NUL');
  rejects(() => new SingleEventCondition('x'.repeat(513)), 'event key is 513 bytes, the limit is 512');
  rejects(() => new SingleEventCondition(untyped(5)), 'event key must be a string, got 5');
  rejects(
    () => task.actionOnEventReceived(TaskAction.START, '$task/wf/t'),
    'event key "$task/wf/t" is reserved: keys starting with $ are sent only by the scheduler',
  );
  rejects(() => new Custom(['ok', 'a\0b']), 'event key "a\\u0000b" must not contain +, # or NUL');
  assert.equal(new SingleEventCondition('sensor/temp/é').key, 'sensor/temp/é');
});

test('invalid conditions: no keys, no children, non-conditions, invalid names', () => {
  rejects(() => new Custom([]), 'a condition must expect at least one event key');
  rejects(() => new Custom(untyped('k')), 'expected event keys must be an array, got "k"');
  rejects(() => new MeetAnyCondition([]), 'MeetAnyCondition needs at least one condition');
  rejects(() => new MeetAllCondition('all', []), 'MeetAllCondition needs at least one condition');
  rejects(
    () => new MeetAnyCondition([new SingleEventCondition('k'), untyped({})]),
    'MeetAnyCondition: condition 1 is not a Condition, got an object',
  );
  rejects(
    () => new MeetAllCondition('', [new SingleEventCondition('k')]),
    `MeetAllCondition name "" ${NAME_RULE}`,
  );
  rejects(() => new ValueStateDescriptor('a b'), `ValueStateDescriptor name "a b" ${NAME_RULE}`);
  rejects(() => new TaskStatusCondition('wf', []), 'TaskStatusCondition needs at least one task');
  rejects(
    () => new TaskStatusCondition('wf', [{ task: 'a', status: untyped('ok') }]),
    `status of "a" must be one of ${STATUSES}, got "ok"`,
  );
  rejects(
    () => new TaskStatusCondition('w f', [{ task: 'a', status: 'success' }]),
    `workflow name "w f" ${NAME_RULE}`,
  );
});

test('a workflow must have a task', () => {
  rejects(() => validateWorkflow(new Workflow('empty')), 'workflow "empty" has no task');
});

test('a rule that refers to an unknown task, at any nesting depth', () => {
  const workflow = new Workflow('wf');
  workflow.bash('a', 'true');
  const b = workflow.bash('b', 'true').actionOnEventReceived(TaskAction.START, 'go');
  b.actionOnTaskStatus(TaskAction.STOP, { a: TaskStatus.FAILED, nope: TaskStatus.FAILED });
  rejects(() => validateWorkflow(workflow), 'workflow "wf" task "b" rule 1: unknown task "nope"');

  const nested = new Workflow('nested');
  nested.bash('a', 'true');
  nested
    .bash('b', 'true')
    .actionOnCondition(
      TaskAction.RESTART,
      new MeetAnyCondition([
        new SingleEventCondition('x'),
        new MeetAllCondition('all', [
          new TaskStatusCondition('nested', [{ task: 'ghost', status: 'success' }]),
        ]),
      ]),
    );
  rejects(() => validateWorkflow(nested), 'workflow "nested" task "b" rule 0: unknown task "ghost"');
});

test("a task-status condition for another workflow's tasks", () => {
  const workflow = new Workflow('wf');
  workflow.bash('a', 'true');
  workflow
    .bash('b', 'true')
    .actionOnCondition(
      TaskAction.START,
      new TaskStatusCondition('other', [{ task: 'a', status: 'success' }]),
    );
  rejects(
    () => validateWorkflow(workflow),
    'workflow "wf" task "b" rule 0: TaskStatusCondition is for workflow "other": a rule sees only its own workflow\'s tasks',
  );
});

test('a custom condition may expect the status keys of its own tasks only', () => {
  const workflow = new Workflow('wf');
  const a = workflow.bash('a', 'true');
  workflow.bash('b', 'true').actionOnCondition(TaskAction.RESTART, new Custom([a.statusKey, 'k']));
  validateWorkflow(workflow);
  for (const key of ['$workflow/wf', '$task/wf/ghost', '$task/other/a', '$anything']) {
    const bad = new Workflow('wf');
    bad.bash('a', 'true').actionOnCondition(TaskAction.STOP, new MeetAnyCondition([new Custom(['k', key])]));
    rejects(
      () => validateWorkflow(bad),
      `workflow "wf" task "a" rule 0: event key ${JSON.stringify(key)} is reserved: a custom condition may expect only the status keys of this workflow's tasks ($task/wf/<task>)`,
    );
  }
});

test('MeetAllCondition names are unique within a workflow (they name its state)', () => {
  const workflow = new Workflow('wf');
  workflow
    .bash('a', 'true')
    .actionOnCondition(TaskAction.START, new MeetAllCondition('n', [new SingleEventCondition('x')]));
  workflow
    .bash('b', 'true')
    .actionOnEventReceived(TaskAction.START, 'y')
    .actionOnCondition(
      TaskAction.STOP,
      new MeetAnyCondition([new MeetAllCondition('n', [new SingleEventCondition('z')])]),
    );
  rejects(
    () => validateWorkflow(workflow),
    `workflow "wf": MeetAllCondition name "n" is used twice (task "a" rule 0, task "b" rule 1); it names the condition's state`,
  );

  const shared = new MeetAllCondition('same', [new SingleEventCondition('x')]);
  const reused = new Workflow('reused');
  reused
    .bash('a', 'true')
    .actionOnCondition(TaskAction.START, shared)
    .actionOnCondition(TaskAction.STOP, shared);
  rejects(
    () => validateWorkflow(reused),
    `workflow "reused": MeetAllCondition name "same" is used twice (task "a" rule 0, task "a" rule 1); it names the condition's state`,
  );

  const nestedSame = new Workflow('nested');
  nestedSame
    .bash('a', 'true')
    .actionOnCondition(
      TaskAction.START,
      new MeetAllCondition('outer', [new MeetAllCondition('outer', [new SingleEventCondition('x')])]),
    );
  rejects(
    () => validateWorkflow(nestedSame),
    `workflow "nested": MeetAllCondition name "outer" is used twice (task "a" rule 0, task "a" rule 0); it names the condition's state`,
  );
});

test('a cycle of START rules on task statuses: every task involved or waiting on it can never start', () => {
  const workflow = new Workflow('wf');
  const a = workflow.bash('a', 'true');
  const b = workflow.bash('b', 'true').startAfter(a);
  a.startAfter(b);
  workflow.bash('c', 'true').startAfter(b);
  workflow.bash('free', 'true');
  rejects(
    () => validateWorkflow(workflow),
    'workflow "wf": tasks "a", "b", "c" can never start: every rule that could start them waits for the status of one of them',
  );

  const self = new Workflow('self');
  self.bash('root', 'true');
  const loop = self.bash('loop', 'true');
  loop.actionOnTaskStatus(TaskAction.START, [
    [loop, TaskStatus.SUCCESS],
    ['root', TaskStatus.SUCCESS],
  ]);
  rejects(
    () => validateWorkflow(self),
    'workflow "self": task "loop" can never start: every rule that could start it waits for its own status',
  );
});

test('what is not a dead cycle: another way to start, RESTART, any/all, STOP-only rules', () => {
  const build = (wire: (a: ReturnType<Workflow['bash']>, b: ReturnType<Workflow['bash']>) => void) => {
    const workflow = new Workflow('wf');
    const a = workflow.bash('a', 'true');
    const b = workflow.bash('b', 'true');
    b.startAfter(a);
    wire(a, b);
    return workflow;
  };
  // a also starts on an event: b can start after it.
  assert.deepEqual(
    findTasksThatNeverStart(build((a, b) => a.startAfter(b).actionOnEventReceived(TaskAction.START, 'go'))),
    [],
  );
  // A RESTART rule starts a task that is not running.
  assert.deepEqual(
    findTasksThatNeverStart(build((a, b) => a.startAfter(b).actionOnEventReceived(TaskAction.RESTART, 'go'))),
    [],
  );
  // any: one child that can be met is enough.
  assert.deepEqual(
    findTasksThatNeverStart(
      build((a, _b) =>
        a.actionOnCondition(
          TaskAction.START,
          new MeetAnyCondition([
            new TaskStatusCondition('wf', [{ task: 'b', status: 'success' }]),
            new Custom(['go']),
          ]),
        ),
      ),
    ),
    [],
  );
  // all: every child must be possible.
  assert.deepEqual(
    findTasksThatNeverStart(
      build((a, _b) =>
        a.actionOnCondition(
          TaskAction.START,
          new MeetAllCondition('all', [
            new TaskStatusCondition('wf', [{ task: 'b', status: 'success' }]),
            new Custom(['go']),
          ]),
        ),
      ),
    ),
    ['a', 'b'],
  );
  // a STOP rule does not start anything, and a task with only STOP rules starts with the execution.
  assert.deepEqual(
    findTasksThatNeverStart(build((a, b) => a.actionOnTaskStatus(TaskAction.STOP, [[b, 'failed']]))),
    [],
  );
  assert.deepEqual(
    findTasksThatNeverStart(
      build((a, b) => a.startAfter(b).actionOnTaskStatus(TaskAction.STOP, { b: 'failed' })),
    ),
    ['a', 'b'],
  );
});

test('a module may not declare two workflows with the same namespace and name', () => {
  const make = (name: string, namespace = 'default') => {
    const workflow = new Workflow(name, { namespace });
    workflow.bash('t', 'true');
    return workflow;
  };
  const first = make('wf');
  validateModule([first, first, make('wf', 'ops'), make('other')]);
  rejects(
    () => validateModule([first, make('other'), make('wf')]),
    'workflow "wf" in namespace "default" is declared twice',
  );
  rejects(() => validateModule([make('good'), new Workflow('empty')]), 'workflow "empty" has no task');
});

test('a valid workflow passes', () => {
  const workflow = new Workflow('wf');
  const a = workflow.bash('a', 'true');
  workflow
    .fn('b', () => undefined)
    .startAfter(a)
    .actionOnCondition(
      TaskAction.RESTART,
      new MeetAllCondition('ready', [new SingleEventCondition('x'), new Custom([a.statusKey])]),
    );
  assert.doesNotThrow(() => validateWorkflow(workflow));
});
