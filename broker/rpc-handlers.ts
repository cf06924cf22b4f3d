import { AIFlowError } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import type { BrokerMethod, ParsedParams, RequestResult } from '../protocol/request-methods.ts';
import { isReservedKey } from '../protocol/topics.ts';
import type { Caller } from '../protocol/access-roles.ts';
import type { AuditLog } from './audit-log.ts';
import { reservedKeyError } from './event-gateway.ts';
import type { EventLog } from './event-log.ts';
import { IDENTITY_HANDLERS } from './identity-requests.ts';
import type { IdentityStore } from './identity-store.ts';
import type { Logger } from './logger.ts';
import { stampSender } from './sender-stamp.ts';

/** What a broker method may use, and who asked. */
export interface BrokerRequestContext {
  log: EventLog;
  logger: Logger;
  /** The requester's MQTT client id: the sender of the events it sends without one. */
  clientId: string;
  /** The scheduler may send reserved (`$`) keys. */
  privileged: boolean;
  maxPayloadBytes: number;
  /** The last event offset the scheduler has processed. */
  schedulerCheckpoint: () => Promise<number>;
  /** Who asked (its login); null when access control is off, where events keep the sender they name. */
  caller: Caller | null;
  /** Who asked, with its grants, whether access control is on or not (`access.whoami`). */
  whoami: Caller;
  /** Users and tokens; null when access control is off. */
  identities: IdentityStore | null;
  /** The audit trail; null when access control is off. */
  audit: AuditLog | null;
}

/** What every event sent by request must pass: reserved keys for the scheduler only, the payload limit. */
function checkSend(p: ParsedParams<'events.send'>, c: BrokerRequestContext): void {
  if (isReservedKey(p.key) && !c.privileged) throw reservedKeyError(p.key);
  // The same limit as a plain publish: the value is the event's payload.
  const bytes = Buffer.byteLength(p.value, 'utf8');
  if (bytes > c.maxPayloadBytes) {
    throw new AIFlowError('PAYLOAD_TOO_LARGE', `value is ${bytes} bytes, the limit is ${c.maxPayloadBytes}`);
  }
}

type BrokerHandlers = {
  [M in BrokerMethod]: (params: ParsedParams<M>, context: BrokerRequestContext) => Promise<RequestResult<M>>;
};

/** The broker's own methods, one handler each, keyed by the declared method name. */
export const BROKER_HANDLERS: BrokerHandlers = {
  'events.send': async (p, c) => {
    checkSend(p, c);
    return c.log.append({ ...p, sender: stampSender(c.caller, c.clientId, p.sender) });
  },
  'events.sendBatch': async (params, c) => {
    // Defaults of nested params are not filled in by the validation: `value` defaults to the empty string here.
    const events = params.events.map((p) => ({ ...p, value: p.value ?? '' }));
    // All checked before any is stored; appended in one turn, they share one commit and keep their order.
    for (const p of events) checkSend(p, c);
    const stored = await Promise.all(
      events.map((p) => c.log.append({ ...p, sender: stampSender(c.caller, c.clientId, p.sender) })),
    );
    return { events: stored.map(({ event, duplicate }) => ({ offset: event.offset, duplicate })) };
  },
  'events.list': async (p, c) => ({ events: await c.log.list(p, p.limit ?? LIMITS.defaultListLimit) }),
  'events.count': (p, c) => c.log.count(p),
  'events.timeToOffset': async (p, c) => ({ offset: await c.log.timeToOffset(p.time) }),
  'events.prune': async (p, c) => {
    // Only what the scheduler has processed: a prune never takes an event from under a pending rule.
    const maxOffset = await c.schedulerCheckpoint();
    const result = await c.log.prune({ ...p, maxOffset });
    c.logger.info(p.dryRun ? 'event log prune (dry run)' : 'event log pruned', {
      client: c.clientId,
      removed: result.removed,
      maxOffset,
    });
    return result;
  },
  ...IDENTITY_HANDLERS,
  'audit.list': async (p, c) => {
    if (c.audit === null) {
      throw new AIFlowError('CONFLICT', 'access control is off on this broker: there is no audit trail');
    }
    return { entries: c.audit.list({ ...p, limit: p.limit ?? LIMITS.defaultListLimit }) };
  },
  'access.whoami': async (_p, c) => ({ ...c.whoami, grants: [...c.whoami.grants], clientId: c.clientId }),
};
