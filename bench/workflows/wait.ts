// One event to N waiting executions (bench/fan-out.ts). `s` starts with the execution and runs `sleep 600`; with
// the scheduler's process limit, all but a few stay queued: live executions that cost no process. One `wake`
// event, sent with no execution context, reaches every running execution, and each one stops its `s`.
import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';

export const WAKE_KEY = 'wake';

const workflow = new Workflow('bench_wait');
workflow.bash('s', 'sleep 600').actionOnEventReceived(TaskAction.STOP, WAKE_KEY);

export default workflow;
