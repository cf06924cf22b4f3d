import type { Caller } from './access-roles.ts';
import { isErrorCode, type ErrorCode } from './errors.ts';
import type { BrokerMethod, ParsedParams, RequestParams, RequestResult } from './request-methods.ts';

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
/** A user as `user.*` answer it (never its password). */
export type UserInfo = RequestResult<'user.add'>;
/** One entry of the audit trail (`audit.list`). */
export type AuditEntry = RequestResult<'audit.list'>['entries'][number];
/** What `audit.list` narrows by. */
export type AuditFilter = RequestParams<'audit.list'>;
/** A token as `token.*` answer it (its text only in `token.create`'s answer). */
export type TokenInfo = RequestResult<'token.list'>['tokens'][number];

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

const isString = (v: unknown): v is string => typeof v === 'string';

/** A request for the scheduler: its params are validated there. */
export interface ForwardedRequest {
  id: string;
  method: string;
  params: Record<string, unknown>;
  /** The client id the reply goes to. */
  replyTo: string;
  /** The MQTT client id of the requester, set by the broker (the scheduler records it as a request's cause). */
  client?: string;
  /**
   * Who asked: set by the broker from the connection's login (a client cannot supply it), checked by the scheduler
   * once it knows the namespace the method acts on.
   */
  caller: Caller;
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
