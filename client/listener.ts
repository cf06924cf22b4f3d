import type { Event } from '../protocol/event.ts';
import type { EventFilter } from '../protocol/rpc.ts';
import { EVENT_FEED_TOPIC, eventTopic, namespaceFilter } from '../protocol/topics.ts';

/** What users implement to receive events (the counterpart of the original `ListenerProcessor`). */
export interface ListenerProcessor {
  /** Called with events in offset order, never twice with the same event. May be async. */
  process(events: Event[]): void | Promise<void>;
}

export interface ListenerDeps {
  /** Reads one page of the log, ordered by offset. */
  fetch(filter: EventFilter, limit: number): Promise<Event[]>;
  /** Reports a processor that threw; the listener goes on with the next events. */
  onProcessorError(error: unknown, events: Event[]): void;
  /** Reports a failed catch-up read; it is tried again on the next reconnect. */
  onFetchError(error: unknown): void;
}

const PAGE = 1_000;
const RETRY_MS = 1_000;

/**
 * One registered listener. Live messages are delivered as they come; after every (re)subscribe the listener
 * reads what it missed from the log, buffering live messages meanwhile. A cursor (the highest offset handed to
 * the processor) removes duplicates, so the processor sees each event once, in offset order, with no gap.
 */
export class Listener {
  readonly id: string;
  /** Null: every namespace (the scheduler's view). */
  readonly namespace: string | null;
  readonly keys: ReadonlySet<string> | null;
  readonly #processor: ListenerProcessor;
  readonly #deps: ListenerDeps;
  #cursor: number;
  /**
   * Live events are held back until a catch-up has read the log: from creation (the subscription is acknowledged,
   * and may deliver, before the first catch-up starts) and from every {@link hold} (a reconnect). A live event
   * handed over before the log read would move the cursor past the events still to be read, skipping them.
   */
  #syncing = true;
  #generation = 0;
  #buffer: Event[] = [];
  #queue: Event[] = [];
  #pumping: Promise<void> | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    id: string,
    filter: { namespace: string | null; keys: string[] | null; afterOffset: number },
    processor: ListenerProcessor,
    deps: ListenerDeps,
  ) {
    this.id = id;
    this.namespace = filter.namespace;
    this.keys = filter.keys && filter.keys.length > 0 ? new Set(filter.keys) : null;
    this.#cursor = filter.afterOffset;
    this.#processor = processor;
    this.#deps = deps;
  }

  /**
   * Where its live events come from: a listener of every namespace reads the event feed (a commit per message),
   * any other the events' own topics (a message per event).
   */
  get readsFeed(): boolean {
    return this.namespace === null;
  }

  /** The MQTT topic filters this listener needs. */
  topics(): string[] {
    if (this.namespace === null) return [EVENT_FEED_TOPIC];
    const namespace = this.namespace;
    return this.keys ? [...this.keys].map((key) => eventTopic(namespace, key)) : [namespaceFilter(namespace)];
  }

  /** The highest offset handed over so far. */
  get cursor(): number {
    return this.#cursor;
  }

  matches(event: Event): boolean {
    return (
      (this.namespace === null || event.namespace === this.namespace) &&
      (this.keys === null || this.keys.has(event.key))
    );
  }

  /** Live events in offset order, from the topics this listener subscribed to (see {@link readsFeed}). */
  onLiveEvents(events: readonly Event[]): void {
    if (this.#stopped) return;
    const matching = events.filter((event) => this.matches(event));
    if (this.#syncing) this.#buffer.push(...matching);
    else this.#enqueue(matching);
  }

  /** Holds live events back until the next catch-up completes; call before subscribing again (a reconnect). */
  hold(): void {
    this.#syncing = true;
  }

  /**
   * Reads everything after the cursor from the log; call once the subscriptions are acknowledged.
   * A failed read is reported and retried, with live events still held back, so no gap can open.
   */
  async catchUp(): Promise<void> {
    const generation = ++this.#generation;
    this.#syncing = true;
    try {
      for (;;) {
        const page = await this.#deps.fetch(
          {
            namespace: this.namespace ?? undefined,
            keys: this.keys ? [...this.keys] : undefined,
            beginOffset: this.#cursor,
          },
          PAGE,
        );
        if (generation !== this.#generation || this.#stopped) return;
        this.#enqueue(page);
        if (page.length < PAGE) break;
      }
    } catch (error) {
      if (generation !== this.#generation || this.#stopped) return;
      this.#deps.onFetchError(error);
      this.#retry = setTimeout(() => void this.catchUp(), RETRY_MS);
      return;
    }
    this.#buffer.sort((a, b) => a.offset - b.offset);
    this.#enqueue(this.#buffer);
    this.#buffer = [];
    this.#syncing = false;
  }

  /** Stops delivery; resolves once the processor has returned from the batch it is in. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#queue = [];
    await this.#pumping;
  }

  #enqueue(events: Event[]): void {
    for (const event of events) {
      if (event.offset <= this.#cursor) continue;
      this.#cursor = event.offset;
      this.#queue.push(event);
    }
    if (this.#queue.length > 0) this.#pumping ??= this.#pump();
  }

  /** Hands queued events to the processor one batch at a time; events arriving meanwhile form the next batch. */
  async #pump(): Promise<void> {
    // Never finish synchronously: `#pumping` must be assigned before it is cleared below.
    await null;
    while (this.#queue.length > 0 && !this.#stopped) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#processor.process(batch);
      } catch (error) {
        this.#deps.onProcessorError(error, batch);
      }
    }
    this.#pumping = null;
  }
}
