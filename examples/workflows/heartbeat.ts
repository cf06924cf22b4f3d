// A workflow meant for an interval schedule: every 10 minutes (or every second, to watch it) a new execution.
//
//   aiflow workflow upload examples/workflows/heartbeat.ts
//   aiflow workflow-schedule add heartbeat 'interval@0 0 10 0'
//   aiflow workflow-schedule list heartbeat    # next run time
//   aiflow workflow-execution list heartbeat   # one per run, run type `schedule`
import { Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('heartbeat');
workflow.bash('ping', 'echo alive at $(date -u +%H:%M:%S)');

export default workflow;

// Next: `aiflow workflow-schedule pause <id>` stops the runs until `resume`; `aiflow workflow disable heartbeat`
// makes every schedule of the workflow skip its runs.
