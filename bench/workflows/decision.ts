// Decision latency (bench/scheduler.bench.ts, phase a): every `go` event starts a new execution of `t`, which
// ends at once; `keepalive` keeps the workflow execution running between two `go` events.
import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('bench_decision');
workflow.bash('t', 'true').actionOnEventReceived(TaskAction.START, 'go');
workflow.bash('keepalive', 'sleep 600');

export default workflow;
