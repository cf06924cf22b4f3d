import { AIFlowError, isErrorCode, type ErrorCode } from './errors.ts';
import type { Event } from './event.ts';
import { LIMITS } from './limits.ts';
import { validateKey, validateNamespace } from './topics.ts';

/**
 * Request/reply over MQTT (MQTT 3.1.1 has no response topic, so the reply topic is derived from the client id).
 * A client publishes `{"id", "method", "params", "replyTo"?}` to `$aiflow/rpc` and receives
 * `{"id", "result"}` or `{"id", "error": {"code", "message"}}` on `$aiflow/reply/<replyTo or its client id>`.
 */
export interface EventFilter {
  /** Absent: every namespace. */
  namespace?: string;
  /** Exact keys; absent or empty: every key. */
  keys?: string[];
  sender?: string;
  /** Exclusive lower bound: events with `offset > beginOffset`. */
  beginOffset?: number;
  /** Inclusive upper bound: events with `offset <= endOffset`. */
  endOffset?: number;
  /** Events with `createTime >= beginTime` (ms since the epoch). */
  beginTime?: number;
}

export interface SendParams {
  namespace: string;
  key: string;
  value: string;
  sender?: string;
  context?: string | null;
  /** A retried request with the same id is stored once. */
  idempotencyId?: string;
}

export interface ListParams extends EventFilter {
  /** Page size, 1 to 10,000; default 1,000. */
  limit?: number;
}

export interface SenderCount {
  sender: string;
  count: number;
}

export interface RpcMethods {
  'events.send': { params: SendParams; result: { event: Event; duplicate: boolean } };
  /**
   * Stores several events in order, in one request (their offsets follow the order given); the result has one
   * entry per event, in the same order. All are validated before any is stored.
   */
  'events.sendBatch': {
    params: { events: SendParams[] };
    result: { events: { event: Event; duplicate: boolean }[] };
  };
  'events.list': { params: ListParams; result: { events: Event[] } };
  'events.count': { params: EventFilter; result: { total: number; bySender: SenderCount[] } };
  /** Largest offset whose createTime <= time (0 if none); without `time`, the latest offset. */
  'events.timeToOffset': { params: { time?: number }; result: { offset: number } };
  /**
   * Removes events created before `createdBefore` or beyond the newest `keepPerNamespace` of each namespace, never
   * one the scheduler has not processed (above its checkpoint); `dryRun` counts only.
   */
  'events.prune': {
    params: { createdBefore?: number; keepPerNamespace?: number; dryRun?: boolean };
    result: {
      removed: number;
      byNamespace: { namespace: string; removed: number }[];
      maxOffset: number;
      dryRun: boolean;
    };
  };
}

export type RpcMethod = keyof RpcMethods;
export const RPC_METHODS: readonly RpcMethod[] = [
  'events.send',
  'events.sendBatch',
  'events.list',
  'events.count',
  'events.timeToOffset',
  'events.prune',
];

export interface RpcRequest<M extends RpcMethod = RpcMethod> {
  id: string;
  method: M;
  params: RpcMethods[M]['params'];
  replyTo?: string;
}

export type RpcReply =
  { id: string; result: unknown } | { id: string; error: { code: ErrorCode; message: string } };

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new AIFlowError('INVALID_REQUEST', message);
}

function optional<T>(o: Json, name: string, check: (v: unknown) => v is T, what: string): T | undefined {
  const v = o[name];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) fail(`${name} must be ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isOffset = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function parseFilter(p: Json): EventFilter {
  const namespace = optional(p, 'namespace', isString, 'a string');
  const keys = optional(p, 'keys', isStringArray, 'an array of strings');
  const filter: EventFilter = {
    namespace: namespace === undefined ? undefined : validateNamespace(namespace),
    keys: keys?.map(validateKey),
    sender: optional(p, 'sender', isString, 'a string'),
    beginOffset: optional(p, 'beginOffset', isOffset, 'a non-negative integer'),
    endOffset: optional(p, 'endOffset', isOffset, 'a non-negative integer'),
    beginTime: optional(p, 'beginTime', isOffset, 'a non-negative integer (ms since the epoch)'),
  };
  return filter;
}

function parseSend(p: Json): SendParams {
  const value = p.value ?? '';
  if (!isString(p.namespace)) fail('namespace must be a string');
  if (!isString(p.key)) fail('key must be a string');
  if (!isString(value)) fail('value must be a string');
  return {
    namespace: validateNamespace(p.namespace),
    key: validateKey(p.key),
    value,
    sender: optional(p, 'sender', isString, 'a string'),
    context: optional(p, 'context', isString, 'a string'),
    idempotencyId: optional(p, 'idempotencyId', isString, 'a string'),
  };
}

function parseParams(method: RpcMethod, p: Json): RpcMethods[RpcMethod]['params'] {
  switch (method) {
    case 'events.send':
      return parseSend(p);
    case 'events.sendBatch': {
      const events = p.events;
      if (!Array.isArray(events) || events.length === 0 || events.length > LIMITS.maxSendBatch) {
        fail(`events must be an array of 1-${LIMITS.maxSendBatch} events`);
      }
      return {
        events: events.map((e: unknown, i) => {
          if (typeof e !== 'object' || e === null || Array.isArray(e)) fail(`events[${i}] must be an object`);
          return parseSend(e as Json);
        }),
      };
    }
    case 'events.list': {
      const limit = optional(p, 'limit', isOffset, 'a positive integer');
      if (limit !== undefined && (limit < 1 || limit > LIMITS.maxListLimit)) {
        fail(`limit must be between 1 and ${LIMITS.maxListLimit}`);
      }
      return { ...parseFilter(p), limit };
    }
    case 'events.count':
      return parseFilter(p);
    case 'events.timeToOffset':
      return { time: optional(p, 'time', isOffset, 'a non-negative integer (ms since the epoch)') };
    case 'events.prune': {
      const createdBefore = optional(
        p,
        'createdBefore',
        isOffset,
        'a non-negative integer (ms since the epoch)',
      );
      const keepPerNamespace = optional(p, 'keepPerNamespace', isOffset, 'a non-negative integer');
      if (createdBefore === undefined && keepPerNamespace === undefined) {
        fail('give createdBefore, keepPerNamespace or both');
      }
      const dryRun = optional(p, 'dryRun', (v): v is boolean => typeof v === 'boolean', 'a boolean');
      return {
        ...(createdBefore === undefined ? {} : { createdBefore }),
        ...(keepPerNamespace === undefined ? {} : { keepPerNamespace }),
        dryRun: dryRun === true,
      };
    }
  }
}

/** Methods served by the scheduler; the broker forwards them unparsed to `$aiflow/scheduler/rpc`. */
const SCHEDULER_METHOD =
  /^(namespace|workflow|workflowExecution|taskExecution|workflowSchedule|workflowTrigger)\.[a-zA-Z]+$/;

export function isSchedulerMethod(method: string): boolean {
  return SCHEDULER_METHOD.test(method);
}

/** A request for the scheduler: its params are validated there. */
export interface ForwardedRequest {
  id: string;
  method: string;
  params: Record<string, unknown>;
  /** The client id the reply goes to. */
  replyTo: string;
  /** The MQTT client id of the requester, set by the broker (the scheduler records it as a request's cause). */
  client?: string;
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
  const replyTo = optional(r, 'replyTo', isString, 'a string');
  if (isSchedulerMethod(r.method))
    return { id: r.id, method: r.method, params: params as Json, replyTo, forward: true };
  if (!(RPC_METHODS as readonly string[]).includes(r.method)) {
    throw new AIFlowError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(r.method)}`);
  }
  const method = r.method as RpcMethod;
  return { id: r.id, method, params: parseParams(method, params as Json), replyTo };
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
