// The seed's first example: task3 starts after task1 and task2 succeed and sends the event `key`,
// which starts task4 (an event sent from a task affects only its own workflow execution).
//
//   aiflow workflow upload examples/workflows/quickstart.ts
//   aiflow workflow-execution start quickstart
//   aiflow workflow-execution show 1
import { AIFlowNotificationClient } from 'aiflow-mqtt/client';
import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('quickstart');
const task1 = workflow.bash('task1', 'echo I am the 1st task.');
const task2 = workflow.bash('task2', 'echo I am the 2nd task.');
const task3 = workflow.fn('task3', async () => {
  // Inside a task the client needs no arguments: server, namespace and execution come from the environment.
  const client = await AIFlowNotificationClient.connect();
  await client.sendEvent('key', 'This is a custom message.');
  await client.close();
});
const task4 = workflow.bash('task4', 'echo I am the 4th task.');
task3.startAfter([task1, task2]);
task4.actionOnEventReceived(TaskAction.START, 'key');

export default workflow;

// Next: `aiflow event list -k key` shows the event task3 sent, with its execution context.
