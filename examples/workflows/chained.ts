// A workflow started by an event from another workflow: whenever `producer` succeeds, a new execution of
// `consumer` starts. The trigger's condition is custom and stateful: it counts the producer's successes in
// value state scoped to the `consumer` workflow, and lets only every second one through.
//
//   aiflow workflow upload examples/workflows/chained.ts
//   aiflow workflow-execution start producer   # twice: the second success starts `consumer`
//   aiflow workflow-execution list consumer
import {
  Condition,
  ValueStateDescriptor,
  Workflow,
  type ConditionContext,
  type Event,
} from 'aiflow-mqtt/workflow';

/** Met at every second success of the workflow it watches. */
class EverySecondSuccess extends Condition {
  constructor(workflow: string) {
    // Workflow execution status events: key $workflow/<name>, value the status.
    super([`$workflow/${workflow}`]);
  }

  isMet(event: Event, context: ConditionContext): boolean {
    if (event.value !== 'success') return false;
    const successes = context.getState(new ValueStateDescriptor<number>('successes'));
    const count = (successes.value() ?? 0) + 1;
    successes.update(count);
    return count % 2 === 0;
  }
}

export const producer = new Workflow('producer');
producer.bash('produce', 'echo produced a batch');

export const consumer = new Workflow('consumer');
consumer.bash('consume', 'echo consumed two batches');
consumer.addTrigger(new EverySecondSuccess('producer'));

// Next: for the simple case no code is needed:
//   aiflow workflow-trigger add consumer --event-key '$workflow/producer' --event-value success
