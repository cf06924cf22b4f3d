import { isUtf8 } from 'node:buffer';
import type { Aedes, Client, PublishPacket } from 'aedes';
import { requireRole } from '../protocol/access-roles.ts';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import { CONSUMED_TOPIC, isReservedKey, parseEventTopic } from '../protocol/topics.ts';
import type { BrokerAccess } from './access.ts';
import type { BrokerMetrics } from './broker-metrics.ts';
import type { EventLog } from './event-log.ts';
import type { Logger } from './logger.ts';
import { EventFanOut } from './event-fan-out.ts';
import type { ResendFilter } from './resend-filter.ts';
import { stampSender } from './sender-stamp.ts';

/**
 * Turns publishes on `ns/<namespace>/<key>` into events: validates topic and payload, appends to the log, and only
 * then lets Aedes send the PUBACK (Aedes acks right after `authorizePublish`, before its own storage).
 * Stored events are fanned out from one place, in offset order (`EventFanOut`); the raw publish itself is
 * diverted to a topic nobody can subscribe to.
 */
export class EventGateway {
  readonly #log: EventLog;
  readonly #logger: Logger;
  readonly #maxPayloadBytes: number;
  readonly #access: BrokerAccess;
  readonly #resends: ResendFilter;
  readonly #metrics: BrokerMetrics;

  constructor(
    broker: Aedes,
    log: EventLog,
    logger: Logger,
    maxPayloadBytes: number,
    access: BrokerAccess,
    resends: ResendFilter,
    metrics: BrokerMetrics,
  ) {
    this.#log = log;
    this.#logger = logger;
    this.#maxPayloadBytes = maxPayloadBytes;
    this.#access = access;
    this.#resends = resends;
    this.#metrics = metrics;
    const fanOut = new EventFanOut(broker, logger);
    log.onCommitted((events) => fanOut.add(events));
  }

  /**
   * Validates and stores one publish; calls back (acks) only once it is durable. A resend of a publish already
   * stored (see `ResendFilter`) is acknowledged once its original is stored, without a second append.
   */
  accept(client: Client, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    const topic = packet.topic;
    const acked = this.#metrics.timeAck();
    let stored = this.#resends.original(client, packet);
    if (stored) {
      this.#logger.debug('resend acknowledged without a second append', {
        client: client.id,
        messageId: packet.messageId,
      });
    } else {
      let input;
      try {
        input = this.#validate(client, packet);
      } catch (error) {
        this.reject(client, topic, toAIFlowError(error), callback);
        return;
      }
      stored = this.#log.append(input);
      this.#resends.remember(client, packet, stored);
    }
    const original = stored;
    original.then(
      () => {
        packet.topic = CONSUMED_TOPIC;
        packet.retain = false;
        acked();
        callback(null);
      },
      (error: unknown) => {
        this.#resends.forget(client, packet, original);
        this.reject(client, topic, toAIFlowError(error, 'STORAGE_FAILED'), callback);
      },
    );
  }

  /** MQTT 3.1.1 has no negative PUBACK: the offending client is disconnected, with the reason logged. */
  reject(client: Client, topic: string, error: AIFlowError, callback: (error?: Error | null) => void): void {
    this.#logger.warn('publish rejected, client disconnected', {
      client: client.id,
      topic: topic.slice(0, 200),
      code: error.code,
      reason: error.message,
    });
    this.#metrics.publishRefused(error.code);
    callback(error);
  }

  #validate(client: Client, packet: PublishPacket) {
    const { namespace, key } = parseEventTopic(packet.topic);
    const caller = this.#access.enforced ? this.#access.callerOf(client) : null;
    if (caller) requireRole(caller, 'publisher', namespace, 'publish events');
    if (isReservedKey(key) && !this.#access.isPrivileged(client)) throw reservedKeyError(key);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (payload.length > this.#maxPayloadBytes) {
      throw new AIFlowError(
        'PAYLOAD_TOO_LARGE',
        `payload is ${payload.length} bytes, the limit is ${this.#maxPayloadBytes}`,
      );
    }
    if (!isUtf8(payload)) throw new AIFlowError('INVALID_PAYLOAD', 'payload is not valid UTF-8');
    const sender = stampSender(caller, client.id, undefined);
    return { namespace, key, value: payload.toString('utf8'), sender, context: null };
  }
}

export function reservedKeyError(key: string): AIFlowError {
  return new AIFlowError(
    'RESERVED_TOPIC',
    `key ${JSON.stringify(key)} is reserved for the scheduler's status events`,
  );
}
