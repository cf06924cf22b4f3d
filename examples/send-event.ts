// Sends one event the way a task does: inside a task the scheduler sets AIFLOW_SERVER, AIFLOW_NAMESPACE,
// AIFLOW_SENDER and AIFLOW_CONTEXT, so the client needs no arguments.
//
//   aiflow server start                                   # in another terminal
//   npx tsx examples/send-event.ts key "This is a custom message."
import { AIFlowNotificationClient } from 'aiflow-mqtt/client';

const [key = 'key', value = 'This is a custom message.'] = process.argv.slice(2);

const client = await AIFlowNotificationClient.connect();
try {
  const event = await client.sendEvent(key, value);
  console.log(
    `sent ${event.key}=${JSON.stringify(event.value)} at offset ${event.offset} in ${event.namespace}`,
  );
} finally {
  await client.close();
}

// Next: watch it arrive with `aiflow event listen -k key`, or with any MQTT client:
//   mosquitto_sub -t 'ns/default/#' -v
