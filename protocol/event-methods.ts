// The declaration emit names TypeBox's optional marker in the inferred types below (else TS4023).
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { OptionalKind } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { LIMITS } from './limits.ts';
import { declare } from './request-declaration.ts';
import { Event, EventsPruned, SenderCount } from './request-records.ts';
import {
  AnyString,
  EventKey,
  Flag,
  NamespaceName,
  NonNegative,
  Params,
  withDefault,
} from './request-schema.ts';

const Time = NonNegative('a non-negative integer (ms since the epoch)');

/** Which events a list or count covers; every field narrows it. */
const filter = {
  /** Absent: every namespace. */
  namespace: Type.Optional(NamespaceName),
  /** Exact keys; absent or empty: every key. */
  keys: Type.Optional(Type.Array(EventKey, { description: 'an array of event keys' })),
  sender: Type.Optional(AnyString),
  /** Exclusive lower bound: events with `offset > beginOffset`. */
  beginOffset: Type.Optional(NonNegative()),
  /** Inclusive upper bound: events with `offset <= endOffset`. */
  endOffset: Type.Optional(NonNegative()),
  /** Events with `createTime >= beginTime`. */
  beginTime: Type.Optional(Time),
};

/** One event to store: the params of `events.send`, and each element of `events.sendBatch`. */
const SendEvent = Params({
  namespace: NamespaceName,
  key: EventKey,
  value: withDefault(AnyString, ''),
  sender: Type.Optional(AnyString),
  context: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'a string or null' })),
  idempotencyId: Type.Optional(AnyString),
});

/** The event log's methods, answered by the broker. */
export const EVENT_METHODS = {
  'events.send': declare({
    service: 'broker',
    role: 'publisher',
    summary:
      'stores an event and publishes it; a repeated idempotencyId is stored once and answers the stored event ' +
      'with duplicate: true',
    params: SendEvent,
    result: Type.Object({ event: Event, duplicate: Type.Boolean() }),
  }),
  'events.sendBatch': declare({
    service: 'broker',
    role: 'publisher',
    summary:
      `stores up to ${LIMITS.maxSendBatch} events in the order given, in one request and one commit; all are ` +
      "checked before any is stored; answers each one's offset and whether it was a duplicate, in order",
    params: Params({
      events: Type.Array(SendEvent, {
        minItems: 1,
        maxItems: LIMITS.maxSendBatch,
        description: `an array of 1 to ${LIMITS.maxSendBatch} events`,
      }),
    }),
    // Offsets, not the events: a batch's reply stays small (the sender has the events; `events.list` reads them).
    result: Type.Object({
      events: Type.Array(Type.Object({ offset: Type.Integer(), duplicate: Type.Boolean() })),
    }),
  }),
  'events.list': declare({
    service: 'broker',
    role: 'viewer',
    summary: `a page of events in offset order (limit 1 to ${LIMITS.maxListLimit}, default ${LIMITS.defaultListLimit})`,
    params: Params({
      ...filter,
      limit: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: LIMITS.maxListLimit,
          description: `an integer from 1 to ${LIMITS.maxListLimit}`,
        }),
      ),
    }),
    result: Type.Object({ events: Type.Array(Event) }),
  }),
  'events.count': declare({
    service: 'broker',
    role: 'viewer',
    summary: 'counts the events of a filter, in total and by sender',
    params: Params(filter),
    result: Type.Object({ total: Type.Integer(), bySender: Type.Array(SenderCount) }),
  }),
  'events.timeToOffset': declare({
    service: 'broker',
    role: 'viewer',
    summary: 'the largest offset whose createTime <= time (0 if none); without time, the latest offset',
    params: Params({ time: Type.Optional(Time) }),
    result: Type.Object({ offset: Type.Integer() }),
  }),
  'events.prune': declare({
    service: 'broker',
    role: 'admin',
    summary:
      'removes events created before createdBefore or beyond the newest keepPerNamespace of each namespace, ' +
      'never one above the scheduler checkpoint; dryRun counts only',
    params: Params({
      createdBefore: Type.Optional(Time),
      keepPerNamespace: Type.Optional(NonNegative()),
      dryRun: withDefault(Flag, false),
    }),
    result: EventsPruned,
    check: (p) =>
      p.createdBefore === undefined && p.keepPerNamespace === undefined
        ? 'createdBefore or keepPerNamespace must be given'
        : undefined,
  }),
};
