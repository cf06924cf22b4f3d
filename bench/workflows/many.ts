// Many executions (bench/scheduler.bench.ts, phase c). Ten tasks with no rule start with the execution and run
// `sleep 600`: with the scheduler's parallelism at 4, almost all of them stay queued. `gate` expects `a` and `b`
// (every `a` is evaluated by every running execution, and never fires alone); `marker` is started by a `marker`
// event sent with one execution's context, which tells the benchmark when the scheduler got that far.
import { MeetAllCondition, SingleEventCondition, TaskAction, Workflow } from 'aiflow-mqtt/workflow';

export const SLEEPING_TASKS = 10;

const workflow = new Workflow('bench_many');
for (let i = 0; i < SLEEPING_TASKS; i++) workflow.bash(`s${i}`, 'sleep 600');
workflow
  .bash('gate', 'true')
  .actionOnCondition(
    TaskAction.START,
    new MeetAllCondition('both', [new SingleEventCondition('a'), new SingleEventCondition('b')]),
  );
workflow.bash('marker', 'true').actionOnEventReceived(TaskAction.START, 'marker');

export default workflow;
