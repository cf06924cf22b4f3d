// A consumer's workflow module, uploaded with the installed CLI. Its custom condition runs in the scheduler's
// condition sandbox and its function task in a task runner, both from the installed package: the task sends the
// event app.ts awaits once the condition saw the event `go`.
import { AIFlowNotificationClient } from 'aiflow-mqtt/client';
import { Condition, TaskAction, Workflow, type Event } from 'aiflow-mqtt/workflow';

class SaysGo extends Condition {
  isMet(event: Event): boolean {
    return event.value === 'go';
  }
}

const workflow = new Workflow('quickstart');
workflow.bash('first', 'echo first');
const second = workflow.fn('second', async () => {
  const client = await AIFlowNotificationClient.connect();
  await client.sendEvent('key', 'from a function task');
  await client.close();
});
second.actionOnCondition(TaskAction.START, new SaysGo(['go']));

export default workflow;
