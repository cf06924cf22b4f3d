import { AIFlowError } from './errors.ts';
import { LIMITS } from './limits.ts';

/** Root of user event topics: `ns/<namespace>/<key>`. */
export const EVENT_TOPIC_ROOT = 'ns';
/** Everything under `$aiflow/` is reserved for the server. */
export const RESERVED_ROOT = '$aiflow/';
/** Clients publish request/reply queries here (see `rpc.ts`). */
export const RPC_REQUEST_TOPIC = '$aiflow/rpc';
const REPLY_ROOT = '$aiflow/reply/';
/** The scheduler receives forwarded requests here; only the scheduler may subscribe. */
export const SCHEDULER_RPC_TOPIC = '$aiflow/scheduler/rpc';
/** MQTT user name of the scheduler; its password is the server's scheduler token. */
export const SCHEDULER_USERNAME = 'aiflow-scheduler';
/** The server's retained announcement (`ServerInfo`): any client may read it, nobody may publish it. */
export const SERVER_INFO_TOPIC = '$aiflow/server';
/** Where the server routes the publishes it has already turned into events; nobody may subscribe to it. */
export const CONSUMED_TOPIC = '$aiflow/consumed';
/**
 * Every stored event of every namespace, in offset order, a commit's events per message (a JSON array of
 * envelopes): how a reader of all namespaces (the scheduler) receives them at a fraction of the per-message cost.
 * Reading it needs `viewer` in every namespace, as `ns/#` does; nobody may publish on it.
 */
export const EVENT_FEED_TOPIC = '$aiflow/feed';

export const DEFAULT_NAMESPACE = 'default';

export interface EventAddress {
  namespace: string;
  key: string;
}

export function validateNamespace(namespace: string): string {
  if (!LIMITS.namespacePattern.test(namespace)) {
    throw new AIFlowError(
      'INVALID_NAMESPACE',
      `namespace ${JSON.stringify(namespace)} must be 1-${LIMITS.namespaceMaxLength} characters of A-Z a-z 0-9 _ - . (not . or ..)`,
    );
  }
  return namespace;
}

export function validateKey(key: string): string {
  if (key.length === 0) throw new AIFlowError('INVALID_KEY', 'event key must not be empty');
  if (/[+#\0]/.test(key)) {
    throw new AIFlowError('INVALID_KEY', `event key ${JSON.stringify(key)} must not contain +, # or NUL`);
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > LIMITS.keyMaxBytes) {
    throw new AIFlowError('INVALID_KEY', `event key is ${bytes} bytes, the limit is ${LIMITS.keyMaxBytes}`);
  }
  return key;
}

/** `ns/<namespace>/<key>`; validates both parts. */
export function eventTopic(namespace: string, key: string): string {
  return `${EVENT_TOPIC_ROOT}/${validateNamespace(namespace)}/${validateKey(key)}`;
}

/** Subscription filter for every event of a namespace. */
export function namespaceFilter(namespace: string): string {
  return `${EVENT_TOPIC_ROOT}/${validateNamespace(namespace)}/#`;
}

export function isEventTopic(topic: string): boolean {
  return topic.startsWith(`${EVENT_TOPIC_ROOT}/`);
}

/** Parses `ns/<namespace>/<key>`; throws INVALID_TOPIC / INVALID_NAMESPACE / INVALID_KEY. */
export function parseEventTopic(topic: string): EventAddress {
  const rest = topic.slice(EVENT_TOPIC_ROOT.length + 1);
  const slash = rest.indexOf('/');
  if (!isEventTopic(topic) || slash < 0) {
    throw new AIFlowError('INVALID_TOPIC', `topic ${JSON.stringify(topic)} is not ns/<namespace>/<key>`);
  }
  return { namespace: validateNamespace(rest.slice(0, slash)), key: validateKey(rest.slice(slash + 1)) };
}

export function isReservedTopic(topic: string): boolean {
  // [MQTT-4.7.2-1] `$` topics are not matched by wildcards; all of ours start with `$aiflow/`.
  return topic.startsWith(RESERVED_ROOT) || topic === '$aiflow';
}

/** The topic on which the server answers the requests of one client. */
export function replyTopic(clientId: string): string {
  return REPLY_ROOT + clientId;
}

/** Keys starting with `$` (status events) may be sent only by the scheduler. */
export function isReservedKey(key: string): boolean {
  return key.startsWith('$');
}

export function replyTopicOwner(topic: string): string | undefined {
  return topic.startsWith(REPLY_ROOT) ? topic.slice(REPLY_ROOT.length) : undefined;
}
