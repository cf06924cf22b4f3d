// actionOnTaskStatus: a long-running task is stopped as soon as two other tasks have both succeeded.
//
//   aiflow workflow upload examples/workflows/stop-on-status.ts
//   aiflow workflow-execution start stop_on_status
//   aiflow workflow-execution show 1        # prepare and train: success; serve: stopped
import { TaskAction, TaskStatus, Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('stop_on_status');
const serve = workflow.bash('serve', 'echo serving the old model; sleep 600');
const prepare = workflow.bash('prepare', 'echo preparing data');
const train = workflow.bash('train', 'echo training; sleep 1');
serve.actionOnTaskStatus(TaskAction.STOP, {
  [prepare.name]: TaskStatus.SUCCESS,
  [train.name]: TaskStatus.SUCCESS,
});

export default workflow;

// Next: make `train` fail (`exit 1`) and watch `serve` keep running: the rule needs both successes.
