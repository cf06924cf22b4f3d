import type { Aedes, PublishPacket } from 'aedes';
import { encodeEvent, type Event } from '../protocol/event.ts';
import { EVENT_TOPIC_ROOT, isReservedKey } from '../protocol/topics.ts';
import { feedPackets } from './event-feed.ts';
import type { Logger } from './logger.ts';

/** Events handed to Aedes in one turn of the event loop, at most. */
const CHUNK = 256;

/**
 * Fans stored events out from one place, in offset order: each as a JSON envelope on its own topic, and a chunk of
 * them at a time on the event feed. Commits are queued and handed over a chunk per turn of the event loop, so a
 * commit of many thousand events (one event to 10,000 executions is 10,000 status events) never holds the loop for
 * all of them: the sockets are read and the PUBACKs of the publishes stored meanwhile are sent between chunks.
 */
export class EventFanOut {
  readonly #broker: Aedes;
  readonly #logger: Logger;
  /** Stored events not handed to Aedes yet, in offset order. */
  #queue: Event[] = [];
  #scheduled = false;

  constructor(broker: Aedes, logger: Logger) {
    this.#broker = broker;
    this.#logger = logger;
  }

  /** Queues the events of one commit (in offset order) behind those not fanned out yet. */
  add(events: readonly Event[]): void {
    for (const event of events) this.#queue.push(event);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    // Taken off the queue chunk by chunk, so that under steady load the queue holds only what is still due.
    const chunk = this.#queue.splice(0, CHUNK);
    const envelopes: Buffer[] = [];
    const debug = this.#logger.enabled('debug');
    for (const event of chunk) {
      if (debug) {
        this.#logger.debug('event routed', {
          offset: event.offset,
          namespace: event.namespace,
          key: event.key,
          sender: event.sender,
        });
      }
      const envelope = encodeEvent(event);
      envelopes.push(envelope);
      this.#broker.publish(envelopePacket(event, envelope), (error) => this.#failed(event, error));
    }
    for (const packet of feedPackets(envelopes)) {
      this.#broker.publish(packet, (error) => this.#failed(chunk[0]!, error));
    }
    if (this.#queue.length > 0) setImmediate(() => this.#drain());
    else this.#scheduled = false;
  }

  #failed(event: Event, error: Error | undefined): void {
    if (error) this.#logger.error('fan-out failed', { offset: event.offset, reason: error.message });
  }
}

function envelopePacket(event: Event, envelope: Buffer): PublishPacket {
  return {
    cmd: 'publish',
    // A stored event's namespace and key were validated before the append: not checked again per delivery.
    topic: `${EVENT_TOPIC_ROOT}/${event.namespace}/${event.key}`,
    payload: envelope,
    // Events are durable, so subscribers get them at up to QoS 1, whatever QoS the producer used.
    qos: 1,
    // Status events are retained: one per workflow and task, so a new subscriber sees the last status at once.
    retain: isReservedKey(event.key),
    dup: false,
  };
}
