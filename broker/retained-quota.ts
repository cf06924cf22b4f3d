import { AIFlowError } from '../protocol/errors.ts';

/**
 * Caps the retained messages clients leave on plain (non-`ns/`) topics, in count and in bytes: Aedes keeps every
 * retained message in memory and scans them all on each SUBSCRIBE, so an unbounded store is a memory and CPU
 * hazard. Server-side status events are not counted (they are bounded by the scheduler).
 */
export class RetainedQuota {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  /** Retained payload size by topic. */
  readonly #sizes = new Map<string, number>();
  #bytes = 0;

  constructor(maxMessages: number, maxBytes: number) {
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
  }

  /** Accounts for a retained publish, or throws `RETAINED_LIMIT` (and accounts nothing) past the cap. */
  admit(topic: string, payloadBytes: number): void {
    const previous = this.#sizes.get(topic);
    // An empty retained payload deletes the topic's retained message. [MQTT-3.3.1-10]
    if (payloadBytes === 0) {
      if (previous !== undefined) {
        this.#sizes.delete(topic);
        this.#bytes -= previous;
      }
      return;
    }
    const messages = this.#sizes.size + (previous === undefined ? 1 : 0);
    const bytes = this.#bytes - (previous ?? 0) + payloadBytes;
    if (messages > this.#maxMessages || bytes > this.#maxBytes) {
      throw new AIFlowError(
        'RETAINED_LIMIT',
        `retained messages would reach ${messages} messages / ${bytes} bytes, the limit is ` +
          `${this.#maxMessages} / ${this.#maxBytes}`,
      );
    }
    this.#sizes.set(topic, payloadBytes);
    this.#bytes = bytes;
  }

  get messages(): number {
    return this.#sizes.size;
  }

  get bytes(): number {
    return this.#bytes;
  }
}
