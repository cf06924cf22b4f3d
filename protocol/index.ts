export { AIFlowError, ERROR_CODES, toAIFlowError, type ErrorCode } from './errors.ts';
export { decodeEvent, encodeEvent, type Event } from './event.ts';
export { LIMITS } from './limits.ts';
export {
  DEFAULT_NAMESPACE,
  eventTopic,
  namespaceFilter,
  parseEventTopic,
  validateKey,
  validateNamespace,
  type EventAddress,
} from './topics.ts';
export type { EventFilter, ListParams, SendParams, SenderCount } from './rpc.ts';
