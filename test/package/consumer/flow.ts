// A consumer's workflow module, uploaded with the installed CLI: its function task sends the event app.ts awaits.
import { AIFlowNotificationClient } from 'aiflow-mqtt/client';
import { Workflow } from 'aiflow-mqtt/workflow';

const workflow = new Workflow('quickstart');
const first = workflow.bash('first', 'echo first');
const second = workflow.fn('second', async () => {
  const client = await AIFlowNotificationClient.connect();
  await client.sendEvent('key', 'from a function task');
  await client.close();
});
second.startAfter([first]);

export default workflow;
