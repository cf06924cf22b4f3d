// A consumer's program, compiled by its own strict tsc and run with plain node against a real server: it starts the
// uploaded workflow, sends the event its custom condition waits for, and waits for the event its function task sends.
import { AIFlowNotificationClient as LightClient } from '@aiflow-mqtt/client';
import { Workflow as LightWorkflow } from '@aiflow-mqtt/client/workflow';
import { AIFlowNotificationClient, SchedulerClient, type Event } from 'aiflow-mqtt/client';
import type { ErrorCode } from 'aiflow-mqtt/protocol';
import type { BrokerServer } from 'aiflow-mqtt/broker';
import type { AIFlowServer } from 'aiflow-mqtt/server';
import { Workflow } from 'aiflow-mqtt/workflow';

const server = process.argv[2];
if (server === undefined) throw new Error('usage: node app.js <server url>');

// The declarations of every entry must type-check under the consumer's flags.
const unused: Array<ErrorCode | BrokerServer | AIFlowServer | undefined> = [];
if (!(new Workflow('a') instanceof Workflow) || !(new LightWorkflow('b') instanceof LightWorkflow)) {
  throw new Error('Workflow is not constructible');
}

const client = await AIFlowNotificationClient.connect({ server });
const received = new Promise<Event>((resolve) => {
  void client.registerListener(
    { process: (events) => events[0] && resolve(events[0]) },
    { eventKeys: ['key'] },
  );
});
const scheduler = await SchedulerClient.connect({ server });
const id = await scheduler.startWorkflowExecution({ workflow: 'quickstart' });
await client.sendEvent('go', 'go');
const timeout = setTimeout(() => {
  console.error(`no event from workflow execution ${id} within 60 s`);
  process.exit(1);
}, 60_000);
const event = await received;
clearTimeout(timeout);
console.log(`workflow execution ${id}: event ${event.key} = ${event.value}`);

// The light client package talks to the same server.
const light = await LightClient.connect({ server });
const sent = await light.sendEvent('from-light-client', 'hello');
console.log(`light client sent offset ${sent.offset}`);

await Promise.all([client.close(), scheduler.close(), light.close()]);
console.log(`ok ${unused.length}`);
