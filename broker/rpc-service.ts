import type { Aedes, Client, PublishPacket } from 'aedes';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import { parseRpcRequest, peekRequestId } from '../protocol/rpc-request.ts';
import type { ForwardedRequest, RpcRequest, RpcReply } from '../protocol/rpc.ts';
import { replyTopic, SCHEDULER_RPC_TOPIC } from '../protocol/topics.ts';
import type { BrokerAccess } from './access.ts';
import type { AuditLog } from './audit-log.ts';
import type { AuditTrail } from './audit-trail.ts';
import type { IdentityStore } from './identity-store.ts';
import { BROKER_HANDLERS, type BrokerRequestContext } from './rpc-handlers.ts';
import { authorizeBrokerRequest } from './request-access.ts';
import type { EventLog } from './event-log.ts';
import type { Logger } from './logger.ts';

const REPLY_TARGET = /^[^+#/\0]{1,256}$/;

/** Answers the request/reply queries published on `$aiflow/rpc`, on the requester's reply topic. */
export class RpcService {
  readonly #broker: Aedes;
  readonly #log: EventLog;
  readonly #logger: Logger;
  readonly #access: BrokerAccess;

  readonly #maxPayloadBytes: number;
  readonly #schedulerCheckpoint: () => Promise<number>;
  readonly #identities: IdentityStore | null;
  readonly #audit: { log: AuditLog; trail: AuditTrail } | null;

  constructor(
    broker: Aedes,
    log: EventLog,
    logger: Logger,
    access: BrokerAccess,
    maxPayloadBytes: number,
    schedulerCheckpoint: () => Promise<number> = async () => 0,
    identities: IdentityStore | null = null,
    audit: { log: AuditLog; trail: AuditTrail } | null = null,
  ) {
    this.#identities = identities;
    this.#audit = audit;
    this.#maxPayloadBytes = maxPayloadBytes;
    this.#schedulerCheckpoint = schedulerCheckpoint;
    this.#broker = broker;
    this.#log = log;
    this.#logger = logger;
    this.#access = access;
  }

  handle(client: Client, packet: PublishPacket): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    let request: ReturnType<typeof parseRpcRequest>;
    try {
      request = parseRpcRequest(payload);
      if (request.replyTo !== undefined && !REPLY_TARGET.test(request.replyTo)) {
        throw new AIFlowError('INVALID_REQUEST', 'replyTo must be 1-256 characters without +, #, / or NUL');
      }
    } catch (error) {
      this.#fail(client.id, peekRequestId(payload) ?? '', toAIFlowError(error, 'INVALID_REQUEST'));
      return;
    }
    const target = request.replyTo ?? client.id;
    // The broker builds the envelope: the caller comes from the connection's login, never from the payload.
    const caller = this.#access.callerOf(client);
    const trail = this.#audit?.trail;
    const requester = { caller, client };
    if ('forward' in request) {
      const { id, method, params } = request;
      if (!this.#access.schedulerOnline) {
        trail?.answered(requester, method, params, 'SCHEDULER_NOT_RUNNING');
      } else trail?.forwarded(requester, id, target, method, params);
      this.#forward({ id, method, params, replyTo: target, client: client.id, caller });
      return;
    }
    const { method, params } = request;
    let allowed: RpcRequest;
    try {
      allowed = this.#access.enforced ? authorizeBrokerRequest(caller, request) : request;
    } catch (error) {
      const refusal = toAIFlowError(error);
      trail?.answered(requester, method, params, refusal.code);
      this.#fail(target, request.id, refusal);
      return;
    }
    this.#execute(allowed, client).then(
      (result) => {
        trail?.answered(requester, method, params, 'ok');
        this.#reply(target, { id: request.id, result });
      },
      (error: unknown) => {
        const failure = toAIFlowError(error);
        trail?.answered(requester, method, params, failure.code);
        this.#fail(target, request.id, failure);
      },
    );
  }

  /** Scheduler methods go to the scheduler, which answers the requester directly. */
  #forward(request: ForwardedRequest): void {
    if (!this.#access.schedulerOnline) {
      this.#fail(
        request.replyTo,
        request.id,
        new AIFlowError('SCHEDULER_NOT_RUNNING', 'no scheduler is connected'),
      );
      return;
    }
    this.#publish(SCHEDULER_RPC_TOPIC, JSON.stringify(request));
  }

  #execute(request: RpcRequest, client: Client): Promise<unknown> {
    const whoami = this.#access.callerOf(client);
    const handle = BROKER_HANDLERS[request.method] as (
      params: RpcRequest['params'],
      context: BrokerRequestContext,
    ) => Promise<unknown>;
    return handle(request.params, {
      log: this.#log,
      logger: this.#logger,
      clientId: client.id,
      privileged: this.#access.isPrivileged(client),
      maxPayloadBytes: this.#maxPayloadBytes,
      schedulerCheckpoint: this.#schedulerCheckpoint,
      caller: this.#access.enforced ? whoami : null,
      whoami,
      identities: this.#identities,
      audit: this.#audit?.log ?? null,
    });
  }

  #fail(target: string, id: string, error: AIFlowError): void {
    this.#logger.warn('request failed', { client: target, id, code: error.code, reason: error.message });
    this.#reply(target, { id, error: error.toJSON() });
  }

  #reply(target: string, reply: RpcReply): void {
    this.#publish(replyTopic(target), JSON.stringify(reply));
  }

  #publish(topic: string, payload: string): void {
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: Buffer.from(payload),
      qos: 1,
      retain: false,
      dup: false,
    };
    this.#broker.publish(packet, (error) => {
      if (error) this.#logger.error('publish failed', { topic, reason: error.message });
    });
  }
}
