// A custom stateful condition: the consumer starts once the values the producer sends add up to 100.
// The running sum is value state, scoped to the workflow execution and kept by the scheduler.
//
//   aiflow workflow upload examples/workflows/sum-to-100.ts
//   aiflow workflow-execution start sum_to_100
//   aiflow task-execution list 1            # consumer ran once the sum reached 100
import { AIFlowNotificationClient } from 'aiflow-mqtt/client';
import {
  Condition,
  TaskAction,
  ValueStateDescriptor,
  Workflow,
  type ConditionContext,
  type Event,
} from 'aiflow-mqtt/workflow';

class SumReaches extends Condition {
  readonly #target: number;
  constructor(key: string, target: number) {
    super([key]);
    this.#target = target;
  }

  isMet(event: Event, context: ConditionContext): boolean {
    const sum = context.getState(new ValueStateDescriptor<number>('sum'));
    const total = (sum.value() ?? 0) + Number(event.value);
    sum.update(total);
    return total >= this.#target;
  }
}

const workflow = new Workflow('sum_to_100');
workflow.fn('producer', async () => {
  const client = await AIFlowNotificationClient.connect();
  for (const value of [10, 20, 30, 40]) await client.sendEvent('number', String(value));
  await client.close();
});
const consumer = workflow.bash('consumer', 'echo the numbers add up to 100');
consumer.actionOnCondition(TaskAction.START, new SumReaches('number', 100));

export default workflow;

// Next: send more numbers from outside: `aiflow event send number 50` goes to every running execution.
