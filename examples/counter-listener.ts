// A ListenerProcessor that counts the events of one key, as in the original documentation's `Counter`.
// It listens until it has counted the number of events given (default 3), then unregisters and exits.
//
//   aiflow server start                                   # in another terminal
//   npx tsx examples/counter-listener.ts expect_key 3
//   aiflow event send expect_key hello                    # three times, from a third terminal
import { AIFlowNotificationClient, type Event, type ListenerProcessor } from 'aiflow-mqtt/client';

class Counter implements ListenerProcessor {
  counter = 0;
  constructor(private readonly onCount: (counter: number) => void) {}

  process(events: Event[]): void {
    this.counter += events.length;
    this.onCount(this.counter);
  }
}

const [key = 'expect_key', target = '3'] = process.argv.slice(2);
const client = await AIFlowNotificationClient.connect();
let reached: () => void = () => undefined;
const done = new Promise<void>((resolve) => (reached = resolve));
const counter = new Counter((n) => {
  console.log(`counted ${n} event(s) with key ${key}`);
  if (n >= Number(target)) reached();
});
const listenerId = await client.registerListener(counter, { eventKeys: [key] });
console.log(`listening to ${key} in ${client.namespace}`);
await done;
// Release the listener's subscription, as the original asks with `unregister_listener`.
await client.unregisterListener(listenerId);
await client.close();

// Next: start it with --begin-offset semantics instead: registerListener(counter, { eventKeys: [key], beginOffset: 0 })
// counts every past event of the key too.
