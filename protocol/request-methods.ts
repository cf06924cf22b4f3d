// The declaration emit names TypeBox's optional marker in the inferred types below (else TS4023).
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { OptionalKind } from '@sinclair/typebox';
import { ACCESS_METHODS } from './access-methods.ts';
import { EVENT_METHODS } from './event-methods.ts';
import type { ParamsOf, ParsedOf, ResultOf } from './request-declaration.ts';
import { SCHEDULER_METHODS } from './scheduler-methods.ts';

/**
 * Every request method, declared once: its params schema, its result, the role it needs and who answers it. The
 * broker and the scheduler validate with it, the SDK and the CLI take their types from it, `npm run schemas`
 * publishes it as JSON Schema and the README's method table is generated from it.
 */
export const REQUEST_METHODS = { ...EVENT_METHODS, ...ACCESS_METHODS, ...SCHEDULER_METHODS };

type Declarations = typeof REQUEST_METHODS;
export type RequestMethod = keyof Declarations;
/** Methods answered by the broker itself. */
export type BrokerMethod = keyof typeof EVENT_METHODS | keyof typeof ACCESS_METHODS;
/** Methods the broker forwards to the scheduler. */
export type SchedulerMethod = keyof typeof SCHEDULER_METHODS;

/** What a client sends for method `M`. */
export type RequestParams<M extends RequestMethod> = ParamsOf<Declarations[M]>;
/** What the handler of `M` receives: validated, ids decoded to numbers, defaults filled in. */
export type ParsedParams<M extends RequestMethod> = ParsedOf<Declarations[M]>;
/** What method `M` answers. */
export type RequestResult<M extends RequestMethod> = ResultOf<Declarations[M]>;

/** The params argument of a call to `M`: optional when every param is. */
export type RequestArgs<M extends RequestMethod> =
  Partial<RequestParams<M>> extends RequestParams<M>
    ? [params?: RequestParams<M>]
    : [params: RequestParams<M>];

export const REQUEST_METHOD_NAMES = Object.keys(REQUEST_METHODS) as RequestMethod[];

export function isRequestMethod(method: string): method is RequestMethod {
  return Object.hasOwn(REQUEST_METHODS, method);
}

/** Methods served by the scheduler; the broker forwards them to `$aiflow/scheduler/rpc`, which validates them. */
export function isSchedulerMethod(method: string): method is SchedulerMethod {
  return Object.hasOwn(SCHEDULER_METHODS, method);
}
