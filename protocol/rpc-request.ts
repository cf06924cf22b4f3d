import { AIFlowError } from './errors.ts';
import { isSchedulerMethod } from './request-methods.ts';
import { parseRequestParams } from './request-validation.ts';
import type { ForwardedRequest, RpcRequest } from './rpc.ts';

/**
 * The broker's side of `rpc.ts`: parsing and validating request payloads. Kept apart so that a client, which only
 * reads replies, bundles neither the declarations' schemas nor the validator.
 */
type Json = Record<string, unknown>;

const isString = (v: unknown): v is string => typeof v === 'string';

function fail(message: string): never {
  throw new AIFlowError('INVALID_REQUEST', message);
}

/**
 * Parses and validates a request payload; throws INVALID_REQUEST, UNKNOWN_METHOD or a grammar error.
 * Scheduler methods come back with their params unparsed (`forward: true`).
 */
export function parseRpcRequest(
  payload: Buffer,
): RpcRequest | (Omit<ForwardedRequest, 'replyTo' | 'caller'> & { replyTo?: string; forward: true }) {
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
