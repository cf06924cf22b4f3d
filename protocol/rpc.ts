import { AIFlowError, isErrorCode, type ErrorCode } from './errors.ts';
import {
  isSchedulerMethod,
  type BrokerMethod,
  type ParsedParams,
  type RequestParams,
  type RequestResult,
} from './request-methods.ts';
import { parseRequestParams } from './request-validation.ts';

/**
 * Request/reply over MQTT (MQTT 3.1.1 has no response topic, so the reply topic is derived from the client id).
 * A client publishes `{"id", "method", "params", "replyTo"?}` to `$aiflow/rpc` and receives
 * `{"id", "result"}` or `{"id", "error": {"code", "message"}}` on `$aiflow/reply/<replyTo or its client id>`.
 */
/** Which events a list or count covers (see `event-methods.ts`). */
export type EventFilter = RequestParams<'events.count'>;
/** An event to store, as the broker hands it to the log (`value` defaults to the empty string). */
export type SendParams = ParsedParams<'events.send'>;
export type ListParams = RequestParams<'events.list'>;
export type SenderCount = RequestResult<'events.count'>['bySender'][number];

/** The broker's own methods, with what they take and answer (declared in `event-methods.ts`). */
export type RpcMethods = { [M in BrokerMethod]: { params: RequestParams<M>; result: RequestResult<M> } };
export type RpcMethod = BrokerMethod;

/** A validated request for the broker. */
export type RpcRequest = {
  [M in BrokerMethod]: { id: string; method: M; params: ParsedParams<M>; replyTo?: string };
}[BrokerMethod];

export type RpcReply =
  { id: string; result: unknown } | { id: string; error: { code: ErrorCode; message: string } };

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new AIFlowError('INVALID_REQUEST', message);
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** A request for the scheduler: its params are validated there. */
export interface ForwardedRequest {
  id: string;
  method: string;
  params: Record<string, unknown>;
  /** The client id the reply goes to. */
  replyTo: string;
}

/**
 * Parses and validates a request payload; throws INVALID_REQUEST, UNKNOWN_METHOD or a grammar error.
 * Scheduler methods come back with their params unparsed (`forward: true`).
 */
export function parseRpcRequest(
  payload: Buffer,
): RpcRequest | (Omit<ForwardedRequest, 'replyTo'> & { replyTo?: string; forward: true }) {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    fail('request is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('request must be a JSON object');
  const r = raw as Json;
  if (!isString(r.id) || r.id.length === 0 || r.id.length > 128)
    fail('id must be a string of 1-128 characters');
  if (!isString(r.method)) fail('method must be a string');
  const params = r.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    fail('params must be an object');
  if (r.replyTo !== undefined && r.replyTo !== null && !isString(r.replyTo)) fail('replyTo must be a string');
  const replyTo = isString(r.replyTo) ? r.replyTo : undefined;
  if (isSchedulerMethod(r.method))
    return { id: r.id, method: r.method, params: params as Json, replyTo, forward: true };
  const request = parseRequestParams(r.method, params);
  return { ...request, id: r.id, replyTo } as RpcRequest;
}

/** Reads the id of a request that failed validation, so the error can still be correlated. */
export function peekRequestId(payload: Buffer): string | undefined {
  try {
    const raw = JSON.parse(payload.toString('utf8')) as Json;
    return isString(raw.id) ? raw.id : undefined;
  } catch {
    return undefined;
  }
}

export function parseRpcReply(payload: Buffer): RpcReply | undefined {
  try {
    const raw = JSON.parse(payload.toString('utf8')) as Json;
    if (!isString(raw.id)) return undefined;
    const error = raw.error as Json | undefined;
    if (error !== undefined) {
      const code = isErrorCode(error.code) ? error.code : 'INTERNAL';
      return { id: raw.id, error: { code, message: String(error.message) } };
    }
    return { id: raw.id, result: raw.result };
  } catch {
    return undefined;
  }
}
