import { mayAct, type Caller } from '../protocol/access-roles.ts';
import { EVENT_FEED_TOPIC, EVENT_TOPIC_ROOT, replyTopicOwner } from '../protocol/topics.ts';

const SYSTEM_ROOT = '$SYS';

/**
 * Why `caller` (on connection `clientId`) may not subscribe to `filter`, or null when it may. Event topics need
 * `viewer` in their namespace. A filter that can span namespaces (`ns/+/k`, `ns/#`, `#`, `+/…`) needs `viewer` in
 * every namespace, and so does the event feed (every event of every namespace): refused rather than granted and
 * filtered at delivery, so a subscription either delivers all it matches or is refused at once (SUBACK 0x80), and
 * delivery stays free of per-message checks. `$SYS` is the broker's internals: admins only. A reply topic is its
 * owner's: the client whose id it names.
 */
export function subscribeRefusal(caller: Caller, clientId: string, filter: string): string | null {
  const [first, second] = filter.split('/', 2);
  if (first === SYSTEM_ROOT) {
    return mayAct(caller, 'admin', null) ? null : `${caller.name} may not read $SYS (needs admin@*)`;
  }
  const owner = replyTopicOwner(filter);
  if (owner !== undefined) {
    return owner === clientId ? null : `${filter} belongs to client ${owner}, not ${clientId}`;
  }
  // [MQTT-4.7.2-1] wildcards at the first level never match `$` topics: only `ns/` needs a namespace check.
  const spansNamespaces =
    filter === EVENT_FEED_TOPIC ||
    first === '#' ||
    first === '+' ||
    (first === EVENT_TOPIC_ROOT && (second === undefined || /^[+#]$/.test(second)));
  if (spansNamespaces) {
    return mayAct(caller, 'viewer', null)
      ? null
      : `${caller.name} may not read ${filter}: it spans namespaces (needs viewer@*)`;
  }
  if (first === EVENT_TOPIC_ROOT && second !== undefined && !mayAct(caller, 'viewer', second)) {
    return `${caller.name} may not read namespace ${second} (needs viewer)`;
  }
  return null;
}
