import type { Client } from 'aedes';
import type { Caller } from '../protocol/access-roles.ts';
import { isRequestMethod, REQUEST_METHODS, type RequestMethod } from '../protocol/request-methods.ts';
import type { AuditLog, NewAuditEntry } from './audit-log.ts';

/** The methods that change something: every call is recorded, whatever its outcome. */
export const AUDITED_METHODS: ReadonlySet<string> = new Set<RequestMethod>([
  'namespace.add',
  'namespace.delete',
  'workflow.upload',
  'workflow.enable',
  'workflow.disable',
  'workflow.delete',
  'workflowExecution.start',
  'workflowExecution.stop',
  'workflowExecution.stopAll',
  'workflowExecution.delete',
  'workflowExecution.prune',
  'taskExecution.start',
  'taskExecution.stop',
  'workflowSchedule.add',
  'workflowSchedule.pause',
  'workflowSchedule.resume',
  'workflowSchedule.delete',
  'workflowSchedule.deleteAll',
  'workflowTrigger.add',
  'workflowTrigger.pause',
  'workflowTrigger.resume',
  'workflowTrigger.delete',
  'workflowTrigger.deleteAll',
  'events.prune',
  'user.add',
  'user.delete',
  'user.passwd',
  'token.create',
  'token.revoke',
]);

/**
 * The params that say what a request acts on. A list of what may be kept, not of what to hide: passwords, token
 * texts, workflow sources and event values never reach the trail, whatever a method's params become.
 */
const TARGET_KEYS = [
  'workflow',
  'name',
  'id',
  'workflowExecutionId',
  'taskExecutionId',
  'scheduleId',
  'triggerId',
  'task',
  'fileName',
  'expression',
  'eventKey',
  'grants',
  'dryRun',
  'createdBefore',
  'finishedBefore',
  'keepPerNamespace',
];
const MAX_TARGET_CHARS = 256;
/** Forwarded requests awaiting the scheduler's answer; beyond this the oldest is recorded as unanswered. */
const MAX_PENDING = 10_000;

/** Who made a request, and from where. */
export interface Requester {
  caller: Caller;
  client: Client;
}

/**
 * Records changes and refusals in the audit log. The broker sees every request: its own methods it answers itself,
 * scheduler methods it forwards, and the scheduler's answer comes back through it on the requester's reply topic
 * (`replied`), so the outcome of both is known here without the scheduler reporting anything. Read methods, and
 * publishes and subscriptions, are recorded only when refused with FORBIDDEN.
 */
export class AuditTrail {
  readonly #log: AuditLog;
  /** `<replyTo>\0<id>` → a change forwarded to the scheduler, without its outcome yet. */
  readonly #changes = new Map<string, Omit<NewAuditEntry, 'outcome'>>();
  /** Changes pending per reply target: only those targets' answers are parsed. */
  readonly #changeTargets = new Map<string, number>();
  /** Reads forwarded, kept only to name the requester of a FORBIDDEN answer; the oldest fall out unrecorded. */
  readonly #reads = new Map<string, Omit<NewAuditEntry, 'outcome'>>();

  constructor(log: AuditLog) {
    this.#log = log;
  }

  /** A request the broker answered itself (or refused before forwarding): `outcome` is `ok` or the error code. */
  answered(requester: Requester, method: string, params: unknown, outcome: string): void {
    if (!AUDITED_METHODS.has(method) && outcome !== 'FORBIDDEN') return;
    this.#log.record({ ...this.#entry(requester, method, params), outcome });
  }

  /** A request forwarded to the scheduler: recorded when its answer passes (`replied`). */
  forwarded(requester: Requester, id: string, replyTo: string, method: string, params: unknown): void {
    const key = `${replyTo}\0${id}`;
    const entry = this.#entry(requester, method, params);
    if (!AUDITED_METHODS.has(method)) {
      if (this.#reads.size >= MAX_PENDING) this.#reads.delete(this.#reads.keys().next().value as string);
      this.#reads.set(key, entry);
      return;
    }
    if (this.#changes.size >= MAX_PENDING) {
      const [oldestKey, oldest] = this.#changes.entries().next().value as [string, typeof entry];
      this.#settle(oldestKey);
      this.#log.record({ ...oldest, outcome: 'UNANSWERED' });
    }
    // A request id used again before its answer: the first is settled as unanswered, so counts stay right.
    const previous = this.#changes.get(key);
    if (previous) {
      this.#settle(key);
      this.#log.record({ ...previous, outcome: 'UNANSWERED' });
    }
    this.#changes.set(key, entry);
    this.#changeTargets.set(replyTo, (this.#changeTargets.get(replyTo) ?? 0) + 1);
  }

  /** The scheduler answered on `replyTo`'s reply topic: records the outcome of a change, or a FORBIDDEN read. */
  replied(replyTo: string, payload: Buffer): void {
    // Cheap checks first: most answers are to reads, and most reads are allowed.
    if (!this.#changeTargets.has(replyTo) && !payload.includes('"FORBIDDEN"')) return;
    let reply: { id?: unknown; error?: { code?: unknown } };
    try {
      reply = JSON.parse(payload.toString('utf8')) as typeof reply;
    } catch {
      return;
    }
    const key = `${replyTo}\0${String(reply.id)}`;
    const outcome = reply.error ? String(reply.error.code) : 'ok';
    const change = this.#changes.get(key);
    if (change) {
      this.#settle(key);
      this.#log.record({ ...change, outcome });
      return;
    }
    const read = this.#reads.get(key);
    if (read && outcome === 'FORBIDDEN') {
      this.#reads.delete(key);
      this.#log.record({ ...read, outcome });
    }
  }

  #settle(key: string): void {
    this.#changes.delete(key);
    const replyTo = key.slice(0, key.indexOf('\0'));
    const left = (this.#changeTargets.get(replyTo) ?? 1) - 1;
    if (left > 0) this.#changeTargets.set(replyTo, left);
    else this.#changeTargets.delete(replyTo);
  }

  /** A publish or subscription refused with FORBIDDEN: `action` is `publish` or `subscribe`. */
  topicRefused(requester: Requester, action: 'publish' | 'subscribe', topic: string): void {
    const namespace = /^ns\/([^/+#]+)\//.exec(topic)?.[1] ?? null;
    this.#log.record({
      ...this.#entry(requester, action, namespace === null ? {} : { namespace }),
      target: { topic: topic.slice(0, MAX_TARGET_CHARS) },
      outcome: 'FORBIDDEN',
    });
  }

  /** A refused CONNECT: `identity` is the user name it gave. */
  loginRefused(client: Client, identity: string, reason: string): void {
    this.#log.record({
      time: Date.now(),
      identity,
      client: client.id,
      remote: remoteAddress(client),
      action: 'login',
      namespace: null,
      target: {},
      outcome: 'UNAUTHORIZED',
      detail: reason,
    });
  }

  #entry(requester: Requester, method: string, params: unknown): Omit<NewAuditEntry, 'outcome'> {
    const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
    // `namespace.add` and `namespace.delete` name theirs `name`; a workflow's defaults to the declared one.
    const namespace = method.startsWith('namespace.') ? p.name : (p.namespace ?? declaredNamespace(method));
    return {
      time: Date.now(),
      identity: requester.caller.name,
      client: requester.client.id,
      remote: remoteAddress(requester.client),
      action: method,
      namespace: typeof namespace === 'string' ? namespace.slice(0, MAX_TARGET_CHARS) : null,
      target: targetOf(p),
      detail: null,
    };
  }
}

/** The default of a method's `namespace` param, if it declares one. */
function declaredNamespace(method: string): unknown {
  if (!isRequestMethod(method)) return undefined;
  const properties = REQUEST_METHODS[method].params.properties as Record<string, { default?: unknown }>;
  return properties.namespace?.default;
}

function targetOf(params: Record<string, unknown>): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const key of TARGET_KEYS) {
    const value = params[key];
    if (typeof value === 'string') target[key] = value.slice(0, MAX_TARGET_CHARS);
    else if (typeof value === 'number' || typeof value === 'boolean') target[key] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      target[key] = value.slice(0, 32).map((item) => item.slice(0, MAX_TARGET_CHARS));
    }
  }
  return target;
}

/** The peer address of a TCP or TLS connection, or of the HTTP request a WebSocket came in on. */
export function remoteAddress(client: Client): string | null {
  const conn = client.conn as { remoteAddress?: unknown } | undefined;
  if (typeof conn?.remoteAddress === 'string') return conn.remoteAddress;
  const request = (client as { req?: { socket?: { remoteAddress?: unknown } } }).req;
  return typeof request?.socket?.remoteAddress === 'string' ? request.socket.remoteAddress : null;
}
