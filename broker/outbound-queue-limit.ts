import type { Client, PublishPacket } from 'aedes';

/** The messages written to one connection whose bytes may still sit in its write buffer, oldest first. */
class OutboundQueue {
  sizes: number[] = [];
  head = 0;
  /** Sum of `sizes` from `head` on. */
  bytes = 0;
  cut = false;

  get messages(): number {
    return this.sizes.length - this.head;
  }

  /** Forgets the oldest messages as long as the newer ones alone account for every byte still buffered. */
  dropFlushed(buffered: number): void {
    while (this.head < this.sizes.length && this.bytes - this.sizes[this.head]! >= buffered) {
      this.bytes -= this.sizes[this.head]!;
      this.head += 1;
    }
    if (this.head === this.sizes.length) {
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.sizes.length) {
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  push(size: number): void {
    this.sizes.push(size);
    this.bytes += size;
  }
}

/** Fixed header (at most 5 bytes), topic length (2) and packet id (2) around topic and payload. */
const PUBLISH_OVERHEAD_BYTES = 9;

/**
 * Bounds each client's outbound queue, in messages and bytes, as Mosquitto's `max_queued_messages` and
 * `max_queued_bytes` do, and cuts a client past it instead of waiting for it.
 *
 * Aedes writes a delivery to the client's stream and, once the stream's buffer is over its high-water mark, holds
 * the delivery until the stream drains (or `drainTimeout` expires); held deliveries occupy the broker's shared
 * delivery slots, so one socket that stops reading soon stalls every publisher and subscriber. The connections'
 * high-water mark is therefore set to the byte bound (Aedes never waits below it), and `admit` runs from Aedes's
 * `authorizeForward` hook before each delivery, measuring what the connection's stream still buffers.
 */
export class OutboundQueueLimit {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #onExceeded: (client: Client, reason: string) => void;
  readonly #flush: (client: Client) => void;
  readonly #queues = new WeakMap<Client, OutboundQueue>();

  /** `flush` hands the bytes a connection holds back in this turn (`coalesceWrites`) to its socket. */
  constructor(
    maxMessages: number,
    maxBytes: number,
    onExceeded: (client: Client, reason: string) => void,
    flush: (client: Client) => void = () => {},
  ) {
    this.#maxMessages = maxMessages;
    this.#maxBytes = maxBytes;
    this.#onExceeded = onExceeded;
    this.#flush = flush;
  }

  /** Accounts for one delivery to `client`; false once the client is over its bound (it is then cut). */
  admit(client: Client, packet: PublishPacket): boolean {
    let queue = this.#queues.get(client);
    if (!queue) this.#queues.set(client, (queue = new OutboundQueue()));
    if (queue.cut) return false;
    let buffered = client.conn.writableLength;
    queue.dropFlushed(buffered);
    const size =
      PUBLISH_OVERHEAD_BYTES +
      Buffer.byteLength(packet.topic) +
      (typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length);
    if (queue.messages >= this.#maxMessages || buffered + size > this.#maxBytes) {
      // Bytes held back only until the end of this turn are not the client's fault: the socket gets them first.
      this.#flush(client);
      buffered = client.conn.writableLength;
      queue.dropFlushed(buffered);
    }
    queue.push(size);
    if (queue.messages <= this.#maxMessages && buffered + size <= this.#maxBytes) return true;
    queue.cut = true;
    this.#onExceeded(
      client,
      `${queue.messages} messages / ${buffered + size} bytes queued, ` +
        `the limit is ${this.#maxMessages} / ${this.#maxBytes}`,
    );
    return false;
  }
}
