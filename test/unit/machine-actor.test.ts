import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MachineActor } from '../../scheduler/machines/machine-actor.ts';
import { taskExecutionMachine } from '../../scheduler/machines/task-execution.machine.ts';
import { workflowExecutionMachine } from '../../scheduler/machines/workflow-execution.machine.ts';

test('actions run in order, seeing the previous state; an event they send is handled after the current one', () => {
  const seen: string[] = [];
  const ref: { execution?: MachineActor<typeof workflowExecutionMachine> } = {};
  const machine = workflowExecutionMachine.provide({
    actions: {
      entered: (_, { status }) =>
        seen.push(`entered ${status} (state ${ref.execution!.getSnapshot().value})`),
      stopTasks: () => {
        seen.push('stopTasks');
        // As the engine does when the last task ends while stopping: handled once `stopping` is the state.
        ref.execution!.send({ type: 'execution.drained' });
        seen.push(`after send (state ${ref.execution!.getSnapshot().value})`);
      },
    },
  });
  const execution = new MachineActor(machine, { input: { workflowExecutionId: 1 } }).start();
  ref.execution = execution;
  execution.send({ type: 'execution.stop' });
  assert.deepEqual(seen, [
    'entered stopping (state running)',
    'stopTasks',
    'after send (state running)',
    'entered stopped (state stopping)',
  ]);
  assert.equal(execution.getSnapshot().value, 'stopped');
  // A final state takes no more events.
  execution.send({ type: 'execution.stop' });
  assert.equal(seen.length, 4);
});

test('a resumed machine replays no entry action; a new one runs its transitions with their guards and assigns', () => {
  const effects: string[] = [];
  const machine = taskExecutionMachine.provide({
    actions: {
      submit: ({ context }) => effects.push(`submit ${context.taskExecutionId}/${context.attempt}`),
      stopProcess: () => effects.push('stopProcess'),
      scheduleRetry: () => effects.push('scheduleRetry'),
      cancelRetry: () => effects.push('cancelRetry'),
    },
  });
  const input = { taskExecutionId: 7, maxRetries: 1 };
  const resumed = new MachineActor(machine, {
    input,
    snapshot: machine.resolveState({ value: 'queued', context: { ...input, attempt: 1, reason: null } }),
  }).start();
  assert.deepEqual(effects, []);
  resumed.send({ type: 'task.failed', reason: 'exit 1' });
  assert.equal(resumed.getSnapshot().value, 'retrying');
  assert.equal(resumed.getSnapshot().context.reason, 'exit 1');

  const fresh = new MachineActor(machine, { input }).start();
  fresh.send({ type: 'task.queue' });
  fresh.send({ type: 'task.stop' });
  fresh.send({ type: 'task.stopped', reason: 'stopped on request' });
  assert.equal(fresh.getSnapshot().value, 'stopped');
  assert.deepEqual(effects, ['scheduleRetry', 'submit 7/1', 'stopProcess']);
  // A stopped machine takes no more events.
  fresh.stop();
  fresh.send({ type: 'task.queue' });
  assert.equal(fresh.getSnapshot().value, 'stopped');
});
