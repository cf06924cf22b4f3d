import type { Aedes, Client, PublishPacket } from 'aedes';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import { LIMITS } from '../protocol/limits.ts';
import {
  parseRpcRequest,
  peekRequestId,
  type ForwardedRequest,
  type RpcMethods,
  type RpcRequest,
  type RpcReply,
  type SendParams,
} from '../protocol/rpc.ts';
import { isReservedKey, replyTopic, SCHEDULER_RPC_TOPIC } from '../protocol/topics.ts';
import type { BrokerAccess } from './access.ts';
import { reservedKeyError } from './event-gateway.ts';
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

  constructor(
    broker: Aedes,
    log: EventLog,
    logger: Logger,
    access: BrokerAccess,
    maxPayloadBytes: number,
    schedulerCheckpoint: () => Promise<number> = async () => 0,
  ) {
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
    if ('forward' in request) {
      const { id, method, params } = request;
      this.#forward({ id, method, params, replyTo: target, client: client.id });
      return;
    }
    const privileged = this.#access.isPrivileged(client);
    this.#execute(request, client.id, privileged).then(
      (result) => this.#reply(target, { id: request.id, result }),
      (error: unknown) => this.#fail(target, request.id, toAIFlowError(error)),
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

  async #execute(request: RpcRequest, clientId: string, privileged: boolean): Promise<unknown> {
    switch (request.method) {
      case 'events.send': {
        const p = request.params as RpcMethods['events.send']['params'];
        this.#checkSend(p, privileged);
        return this.#log.append({ ...p, sender: p.sender ?? clientId });
      }
      case 'events.sendBatch': {
        const { events } = request.params as RpcMethods['events.sendBatch']['params'];
        // All checked before any is stored; appended in one turn, they share one commit and keep their order.
        for (const p of events) this.#checkSend(p, privileged);
        const stored = await Promise.all(
          events.map((p) => this.#log.append({ ...p, sender: p.sender ?? clientId })),
        );
        return { events: stored };
      }
      case 'events.list': {
        const p = request.params as RpcMethods['events.list']['params'];
        return { events: await this.#log.list(p, p.limit ?? LIMITS.defaultListLimit) };
      }
      case 'events.count':
        return this.#log.count(request.params as RpcMethods['events.count']['params']);
      case 'events.timeToOffset': {
        const p = request.params as RpcMethods['events.timeToOffset']['params'];
        return { offset: await this.#log.timeToOffset(p.time) };
      }
      case 'events.prune': {
        const p = request.params as RpcMethods['events.prune']['params'];
        // Only what the scheduler has processed: a prune never takes an event from under a pending rule.
        const maxOffset = await this.#schedulerCheckpoint();
        const result = await this.#log.prune({ ...p, maxOffset });
        this.#logger.info(p.dryRun ? 'event log prune (dry run)' : 'event log pruned', {
          client: clientId,
          removed: result.removed,
          maxOffset,
        });
        return result;
      }
    }
  }

  #checkSend(p: SendParams, privileged: boolean): void {
    if (isReservedKey(p.key) && !privileged) throw reservedKeyError(p.key);
    // The same limit as a plain publish: the value is the event's payload.
    const bytes = Buffer.byteLength(p.value, 'utf8');
    if (bytes > this.#maxPayloadBytes) {
      throw new AIFlowError(
        'PAYLOAD_TOO_LARGE',
        `value is ${bytes} bytes, the limit is ${this.#maxPayloadBytes}`,
      );
    }
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
