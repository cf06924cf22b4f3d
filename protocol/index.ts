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
export { REQUEST_METHODS, isRequestMethod, isSchedulerMethod } from './request-methods.ts';
export type {
  BrokerMethod,
  ParsedParams,
  RequestArgs,
  RequestMethod,
  RequestParams,
  RequestResult,
  SchedulerMethod,
} from './request-methods.ts';
export { parseRequestParams, type ParsedRequest } from './request-validation.ts';
