import {
  isReservedTopic,
  replyTopicOwner,
  EVENT_FEED_TOPIC,
  RPC_REQUEST_TOPIC,
  SCHEDULER_RPC_TOPIC,
  SERVER_INFO_TOPIC,
} from '../protocol/topics.ts';

export type PublishRoute = 'event' | 'rpc' | 'reserved' | 'system' | 'plain';

/** The broker's own topics (Aedes coordinates with them: `$SYS/<broker>/new/clients` disconnects a client id). */
const SYSTEM_ROOT = '$SYS';

/** Which path a client's publish takes. */
export function routePublish(topic: string, privileged = false): PublishRoute {
  // Topics starting with $ are the server's (MQTT 3.1.1 section 4.7.2): no client, the scheduler included, may
  // publish on $SYS. Aedes's default authorizePublish refuses it, and the broker's hook replaces that default.
  if (topic === SYSTEM_ROOT || topic.startsWith(SYSTEM_ROOT + '/')) return 'system';
  if (topic === RPC_REQUEST_TOPIC) return 'rpc';
  // The scheduler answers forwarded requests on the requesters' reply topics.
  if (privileged && replyTopicOwner(topic) !== undefined) return 'plain';
  if (isReservedTopic(topic)) return 'reserved';
  if (topic === 'ns' || topic.startsWith('ns/')) return 'event';
  return 'plain';
}

/**
 * Reserved topics may be read only where the contract says so: anyone reads the server's announcement, a client
 * reads reply topics (`$aiflow/reply/<id>`), the scheduler its request topic, a reader of every namespace the event
 * feed (its rights are checked as for `ns/#`); consumed publishes are never delivered to anyone.
 */
export function maySubscribe(filter: string, privileged = false): boolean {
  if (!isReservedTopic(filter) && !filter.startsWith('$aiflow')) return true;
  if (filter === SERVER_INFO_TOPIC || filter === EVENT_FEED_TOPIC) return true;
  if (filter === SCHEDULER_RPC_TOPIC) return privileged;
  const owner = replyTopicOwner(filter);
  return owner !== undefined && owner.length > 0 && !/[+#/]/.test(owner);
}
