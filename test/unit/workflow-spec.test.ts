import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from '../../protocol/event.ts';
import { TASK_STATUSES } from '../../protocol/status.ts';
import {
  Condition,
  findCondition,
  findTask,
  MeetAllCondition,
  MeetAnyCondition,
  SingleEventCondition,
  TaskAction,
  TaskStatus,
  TaskStatusCondition,
  toSpec,
  ValueStateDescriptor,
  Workflow,
  type ConditionContext,
  type TaskContext,
  type ValueState,
} from '../../workflow/index.ts';

/** A stateful custom condition: met on every second event. */
class EverySecond extends Condition {
  static readonly COUNT = new ValueStateDescriptor<number>('count');

  isMet(_event: Event, context: ConditionContext): boolean {
    const count = context.getState(EverySecond.COUNT);
    const next = (count.value() ?? 0) + 1;
    count.update(next);
    return next % 2 === 0;
  }
}

/** Value states in a Map, JSON round-tripped like the scheduler's store; task statuses from a record. */
function memoryContext(
  statuses: Record<string, TaskStatus> = {},
): ConditionContext & { stored: Map<string, string> } {
  const stored = new Map<string, string>();
  return {
    stored,
    getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
      return {
        value: () => {
          const json = stored.get(descriptor.name);
          return json === undefined ? undefined : (JSON.parse(json) as T);
        },
        update: (value: T) => void stored.set(descriptor.name, JSON.stringify(value)),
      };
    },
    getTaskStatus: (task) => statuses[task],
  };
}

function event(key: string): Event {
  return { offset: 1, key, value: '', namespace: 'default', sender: 's', context: null, createTime: 0 };
}

test('a workflow has a name, the default namespace unless given, and its tasks in declaration order', () => {
  const workflow = new Workflow('wf');
  assert.equal(workflow.namespace, 'default');
  assert.equal(new Workflow('other', { namespace: 'ops' }).namespace, 'ops');
  workflow.bash('b', 'echo b');
  workflow.fn('a', () => 1);
  assert.deepEqual(
    workflow.tasks.map((task) => task.name),
    ['b', 'a'],
  );
  assert.deepEqual(toSpec(new Workflow('x', { namespace: 'ops' })), {
    name: 'x',
    namespace: 'ops',
    tasks: [],
    triggers: [],
  });
});

test('bash and fn tasks: operator, default retry, timeout and periodic in the spec', async () => {
  const workflow = new Workflow('wf');
  workflow.bash('plain', 'echo plain');
  const fn = async (context: TaskContext) => `${context.task} #${context.sequence}`;
  const task = workflow.fn('call', fn, {
    retry: { maxRetries: 3, backoffMs: 250 },
    timeoutMs: 5_000,
    periodic: 'cron@*/5 * * * *',
  });
  workflow.bash('retry-default-backoff', 'true', {
    retry: { maxRetries: 1 },
    timeoutMs: null,
    periodic: null,
  });
  assert.deepEqual(toSpec(workflow).tasks, [
    {
      name: 'plain',
      operator: { type: 'bash', command: 'echo plain' },
      rules: [],
      retry: { maxRetries: 0, backoffMs: 1000 },
      timeoutMs: null,
      periodic: null,
    },
    {
      name: 'call',
      operator: { type: 'function' },
      rules: [],
      retry: { maxRetries: 3, backoffMs: 250 },
      timeoutMs: 5_000,
      periodic: 'cron@*/5 * * * *',
    },
    {
      name: 'retry-default-backoff',
      operator: { type: 'bash', command: 'true' },
      rules: [],
      retry: { maxRetries: 1, backoffMs: 1000 },
      timeoutMs: null,
      periodic: null,
    },
  ]);
  assert.equal(findTask(workflow, 'call'), task);
  assert.equal(task.operator.type, 'function');
  const context = {
    workflow: 'wf',
    task: 'call',
    namespace: 'default',
    workflowExecutionId: 1,
    taskExecutionId: 2,

    signal: new AbortController().signal,
  };
  assert.equal(
    task.operator.type === 'function' && (await task.operator.fn({ ...context, sequence: 4 })),
    'call #4',
  );
});

test('startAfter with one task and with several (objects or names) waits for success of each', () => {
  const workflow = new Workflow('wf');
  const a = workflow.bash('a', 'echo a');
  const b = workflow.bash('b', 'echo b');
  const c = workflow.bash('c', 'echo c').startAfter(a);
  const d = workflow.bash('d', 'echo d');
  assert.equal(d.startAfter([a, 'b', c]), d, 'returns the task for chaining');
  const spec = toSpec(workflow);
  assert.deepEqual(spec.tasks[2]?.rules, [
    { action: 'start', condition: { type: 'taskStatus', tasks: [{ task: 'a', status: 'success' }] } },
  ]);
  assert.deepEqual(spec.tasks[3]?.rules, [
    {
      action: 'start',
      condition: {
        type: 'taskStatus',
        tasks: [
          { task: 'a', status: 'success' },
          { task: 'b', status: 'success' },
          { task: 'c', status: 'success' },
        ],
      },
    },
  ]);
  assert.deepEqual(b.rules, []);
  assert.deepEqual(d.rules[0]?.condition.expectedKeys, ['$task/wf/a', '$task/wf/b', '$task/wf/c']);
});

test('actionOnTaskStatus takes an object keyed by name, [task, status] pairs or a Map; one rule per call', () => {
  const workflow = new Workflow('wf');
  const train = workflow.bash('train', 'true');
  const check = workflow.bash('check', 'true');
  const alert = workflow
    .bash('alert', 'true')
    .actionOnTaskStatus(TaskAction.START, { train: TaskStatus.FAILED, check: TaskStatus.FAILED })
    .actionOnTaskStatus(TaskAction.STOP, [[train, TaskStatus.SUCCESS]])
    .actionOnTaskStatus(TaskAction.RESTART, new Map([[check, TaskStatus.STOPPED]]));
  assert.deepEqual(toSpec(workflow).tasks[2]?.rules, [
    {
      action: 'start',
      condition: {
        type: 'taskStatus',
        tasks: [
          { task: 'train', status: 'failed' },
          { task: 'check', status: 'failed' },
        ],
      },
    },
    { action: 'stop', condition: { type: 'taskStatus', tasks: [{ task: 'train', status: 'success' }] } },
    { action: 'restart', condition: { type: 'taskStatus', tasks: [{ task: 'check', status: 'stopped' }] } },
  ]);
  assert.equal(alert.rules.length, 3);
});

test('actionOnEventReceived and actionOnCondition with single, any, nested all and custom conditions', () => {
  const workflow = new Workflow('wf');
  const upstream = workflow.bash('upstream', 'true');
  const custom = new EverySecond(['tick']);
  const task = workflow
    .bash('task', 'true')
    .actionOnEventReceived(TaskAction.START, 'model/updated')
    .actionOnCondition(TaskAction.STOP, new SingleEventCondition('halt'))
    .actionOnCondition(TaskAction.RESTART, new MeetAnyCondition([new SingleEventCondition('a'), custom]))
    .actionOnCondition(
      TaskAction.START,
      new MeetAllCondition('ready', [
        new SingleEventCondition('data'),
        new MeetAnyCondition([
          new TaskStatusCondition('wf', [{ task: 'upstream', status: TaskStatus.SUCCESS }]),
          new EverySecond(['tick', 'tock', 'tick']),
        ]),
      ]),
    )
    .actionOnCondition(TaskAction.STOP, new EverySecond([upstream.statusKey]));
  assert.deepEqual(
    toSpec(workflow).tasks[1]?.rules.map((rule) => rule.condition),
    [
      { type: 'event', key: 'model/updated' },
      { type: 'event', key: 'halt' },
      {
        type: 'any',
        conditions: [
          { type: 'event', key: 'a' },
          { type: 'custom', path: 'task/2/1', keys: ['tick'] },
        ],
      },
      {
        type: 'all',
        name: 'ready',
        conditions: [
          { type: 'event', key: 'data' },
          {
            type: 'any',
            conditions: [
              { type: 'taskStatus', tasks: [{ task: 'upstream', status: 'success' }] },
              { type: 'custom', path: 'task/3/1/1', keys: ['tick', 'tock'] },
            ],
          },
        ],
      },
      { type: 'custom', path: 'task/4', keys: ['$task/wf/upstream'] },
    ],
  );
  assert.deepEqual(
    task.rules.map((rule) => rule.action),
    ['start', 'stop', 'restart', 'start', 'stop'],
  );
});

test('the spec is plain JSON data', () => {
  const workflow = new Workflow('wf');
  const a = workflow.fn('a', () => undefined);
  workflow
    .bash('b', 'true')
    .startAfter(a)
    .actionOnCondition(
      TaskAction.RESTART,
      new MeetAllCondition('both', [new EverySecond(['x']), new SingleEventCondition('y')]),
    );
  const spec = toSpec(workflow);
  assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
});

test('a subclass of a built-in condition is custom: it may override isMet', () => {
  class Louder extends SingleEventCondition {
    override isMet(event: Event, _context: ConditionContext): boolean {
      return event.value === 'LOUD';
    }
  }
  const workflow = new Workflow('wf');
  workflow.bash('t', 'true').actionOnCondition(TaskAction.START, new Louder('noise'));
  assert.deepEqual(toSpec(workflow).tasks[0]?.rules[0]?.condition, {
    type: 'custom',
    path: 't/0',
    keys: ['noise'],
  });
});

test('findCondition finds the object of a path, findTask the task of a name; both throw for unknown ones', () => {
  const workflow = new Workflow('wf');
  const inner = new EverySecond(['tick']);
  const top = new EverySecond(['top']);
  const all = new MeetAllCondition('all', [new SingleEventCondition('x'), new MeetAnyCondition([inner])]);
  const task = workflow
    .bash('t', 'true')
    .actionOnCondition(TaskAction.START, top)
    .actionOnCondition(TaskAction.STOP, all);
  assert.equal(findCondition(workflow, 't/0'), top);
  assert.equal(findCondition(workflow, 't/1'), all);
  assert.equal(findCondition(workflow, 't/1/1/0'), inner);
  for (const path of ['t', 't/2', 'u/0', 't/0/0', 't/1/2', 't/1/1/0/0', 't/-1', 't/01', 't/1e0', '']) {
    assert.throws(() => findCondition(workflow, path), {
      name: 'AIFlowError',
      code: 'INVALID_WORKFLOW',
      message: `workflow "wf" has no condition at path ${JSON.stringify(path)}`,
    });
  }
  assert.equal(findTask(workflow, 't'), task);
  assert.throws(() => findTask(workflow, 'u'), {
    code: 'INVALID_WORKFLOW',
    message: 'workflow "wf" has no task "u"',
  });
});

test('TaskStatus and TaskAction are the values of the wire contract', () => {
  assert.deepEqual(Object.values(TaskStatus).sort(), [...TASK_STATUSES].sort());
  assert.deepEqual(Object.values(TaskAction), ['start', 'stop', 'restart']);
  assert.equal(TaskStatus.SUCCESS, 'success');
  assert.equal(TaskAction.RESTART, 'restart');
});

test('built-in conditions: single event, any (first met wins), all (remembers children), task status', async () => {
  const context = memoryContext({ a: TaskStatus.SUCCESS, b: TaskStatus.RUNNING });
  assert.equal(await new SingleEventCondition('k').isMet(event('k'), context), true);

  const counted = new EverySecond(['x']);
  const any = new MeetAnyCondition([new SingleEventCondition('x'), counted]);
  assert.equal(await any.isMet(event('x'), context), true);
  assert.equal(context.stored.has('count'), false, 'a child after the first met one does not see the event');
  assert.equal(await any.isMet(event('other'), context), false);

  const all = new MeetAllCondition('both', [new SingleEventCondition('p'), new SingleEventCondition('q')]);
  assert.equal(await all.isMet(event('p'), context), false);
  assert.deepEqual(JSON.parse(context.stored.get('both') ?? 'null'), [true, false]);
  assert.equal(await all.isMet(event('q'), context), true, 'met by two different events');
  assert.equal(await all.isMet(event('p'), context), true, 'stays met');

  assert.equal(
    new TaskStatusCondition('wf', [{ task: 'a', status: TaskStatus.SUCCESS }]).isMet(event('k'), context),
    true,
  );
  const both = new TaskStatusCondition('wf', [
    { task: 'a', status: TaskStatus.SUCCESS },
    { task: 'b', status: TaskStatus.SUCCESS },
  ]);
  assert.equal(both.isMet(event('k'), context), false);
  assert.equal(
    new TaskStatusCondition('wf', [{ task: 'never-ran', status: TaskStatus.INIT }]).isMet(
      event('k'),
      context,
    ),
    false,
  );
});

test('a custom condition keeps its count in value state, not in the object', async () => {
  const context = memoryContext();
  const results = [];
  for (let i = 0; i < 4; i++) results.push(await new EverySecond(['x']).isMet(event('x'), context));
  assert.deepEqual(results, [false, true, false, true]);
  assert.equal(context.stored.get('count'), '4');
});

test('a task knows its status key', () => {
  assert.equal(new Workflow('wf').bash('t', 'true').statusKey, '$task/wf/t');
});

test('workflow triggers go into the spec with their own paths, and can be found again', async () => {
  const { Condition, SingleEventCondition } = await import('../../workflow/index.ts');
  const workflow = new Workflow('consumer');
  workflow.bash('t', 'true');
  class Custom extends Condition {
    isMet(event: Event): boolean {
      return event.value === 'success';
    }
  }
  const custom = new Custom(['$workflow/producer']);
  workflow.addTrigger(new SingleEventCondition('door/open')).addTrigger(custom);
  assert.deepEqual(toSpec(workflow).triggers, [
    { type: 'event', key: 'door/open' },
    { type: 'custom', path: '$trigger/1', keys: ['$workflow/producer'] },
  ]);
  assert.equal(findCondition(workflow, '$trigger/1'), custom);
  assert.throws(() => workflow.addTrigger('door/open' as never), { code: 'INVALID_WORKFLOW' });
});
