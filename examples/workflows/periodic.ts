// A periodic task: `collect` restarts every second while the execution runs, and `report`, which starts after
// it, therefore runs after every collection too. An execution with a periodic task runs until it is stopped.
//
//   aiflow workflow upload examples/workflows/periodic.ts
//   aiflow workflow-execution start periodic
//   aiflow task-execution list 1             # a new collect and report every second
//   aiflow workflow-execution stop 1         # ends the ticks
import { Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('periodic');
const collect = workflow.bash('collect', 'date +%s > /dev/null; echo collected', {
  periodic: 'interval@0 0 0 1',
});
workflow.bash('report', 'echo reported').startAfter(collect);

export default workflow;

// Next: use a crontab instead, e.g. { periodic: 'cron@*/5 * * * *' } for every five minutes.
