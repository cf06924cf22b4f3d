// Any MQTT client controls a task: an event without execution context reaches every running execution of
// the namespace whose rules expect its key.
//
//   aiflow workflow upload examples/workflows/mqtt-control.ts
//   aiflow workflow-execution start mqtt_control
//   mosquitto_pub -t ns/default/job/start -m go   # job starts
//   mosquitto_pub -t ns/default/job/stop -m halt  # job stops; the execution ends
import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('mqtt_control');
workflow
  .bash('job', 'echo job running; sleep 600')
  .actionOnEventReceived(TaskAction.START, 'job/start')
  .actionOnEventReceived(TaskAction.STOP, 'job/stop');

export default workflow;

// Next: add `.actionOnEventReceived(TaskAction.RESTART, 'job/restart')` and restart it from a device.
