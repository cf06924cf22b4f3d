import { isReservedTopic, replyTopicOwner, RPC_REQUEST_TOPIC } from '../protocol/topics.ts';

export type PublishRoute = 'event' | 'rpc' | 'reserved' | 'plain';

/** Which path a client's publish takes. */
export function routePublish(topic: string): PublishRoute {
  if (topic === RPC_REQUEST_TOPIC) return 'rpc';
  if (isReservedTopic(topic)) return 'reserved';
  if (topic === 'ns' || topic.startsWith('ns/')) return 'event';
  return 'plain';
}

/**
 * Reserved topics may be read only where the contract says so: a client reads reply topics
 * (`$aiflow/reply/<id>`); requests and consumed publishes are never delivered to anyone.
 */
export function maySubscribe(filter: string): boolean {
  if (!isReservedTopic(filter) && !filter.startsWith('$aiflow')) return true;
  const owner = replyTopicOwner(filter);
  return owner !== undefined && owner.length > 0 && !/[+#/]/.test(owner);
}
