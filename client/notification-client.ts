// `events`, not `node:events`: Node resolves it to its own module, a browser bundle to the `events` package.
import { EventEmitter } from 'events';
import type { MqttClient } from 'mqtt';
import { randomId, timeOrderedId } from '../protocol/random-id.ts';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import { decodeEvent, decodeEventBatch, type Event } from '../protocol/event.ts';
import { LIMITS } from '../protocol/limits.ts';
import type { EventFilter, SenderCount } from '../protocol/rpc.ts';
import { DEFAULT_SERVER_URL, fromEnv } from '../protocol/runtime-env.ts';
import {
  DEFAULT_NAMESPACE,
  EVENT_FEED_TOPIC,
  isEventTopic,
  validateKey,
  validateNamespace,
} from '../protocol/topics.ts';
import { Listener, type ListenerProcessor } from './listener.ts';
import { clientTlsFromEnv, type ClientTls } from './client-tls.ts';
import { connectWithLogin } from './credentials.ts';
import { RpcChannel } from './rpc-channel.ts';

export interface NotificationClientOptions {
  /** MQTT URL of the server. @defaultValue `$AIFLOW_SERVER`, else `mqtt://localhost:1883` */
  server?: string;
  /** Namespace of sent events and of listeners. @defaultValue `$AIFLOW_NAMESPACE`, else `default` */
  namespace?: string;
  /** Sender recorded on sent events. @defaultValue `$AIFLOW_SENDER`, else the MQTT client id */
  sender?: string;
  /** Context recorded on sent events. @defaultValue `$AIFLOW_CONTEXT`, else none */
  context?: string;
  /** MQTT client id. @defaultValue `aiflow-<random>` */
  clientId?: string;
  /** How long a query may wait for its reply. @defaultValue 30000 */
  requestTimeoutMs?: number;
  /** How long the first connection may take. @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** Pause between reconnection attempts. @defaultValue 500 */
  reconnectPeriodMs?: number;
  /**
   * MQTT login: a user's name and password, or a token's name and the token.
   * @defaultValue `$AIFLOW_USERNAME`/`$AIFLOW_PASSWORD`, else the `admin.credential` of the home on this machine
   * (`$AIFLOW_HOME`, else `~/.aiflow`), else none (anonymous)
   */
  credentials?: { username: string; password: string };
  /**
   * Certificates for an `mqtts://` or `wss://` server with a private certificate authority, or one that requires
   * client certificates. @defaultValue in Node, the files named by `$AIFLOW_CA`, `$AIFLOW_CERT` and `$AIFLOW_CERT_KEY`
   */
  tls?: ClientTls;
}

export interface ListenerOptions {
  /** Keys to receive; absent or empty: every key of the namespace. */
  eventKeys?: string[];
  /** Receive events with `offset > beginOffset`. */
  beginOffset?: number;
  /** Receive events with `createTime >= beginTime`. Without either option: events from now on. */
  beginTime?: Date | number;
  /** Receive the events of every namespace, not only the client's (for the scheduler and monitoring tools). */
  allNamespaces?: boolean;
}

export type ListFilter = Omit<EventFilter, 'keys'> & { keys?: string[]; limit?: number };

export interface NotificationClientEvents {
  /** A processor threw; its batch counts as delivered and the listener goes on. */
  listenerError: [error: unknown, info: { listenerId: string; events: Event[] }];
  /** The connection dropped; the client reconnects and listeners catch up from the log. */
  offline: [];
  reconnected: [];
}

/**
 * The SDK's client of the notification service: sends events, queries the log and runs listeners.
 * Create it with `AIFlowNotificationClient.connect()`; inside a task every option comes from the environment.
 */
export class AIFlowNotificationClient extends EventEmitter<NotificationClientEvents> {
  readonly namespace: string;
  readonly sender: string;
  readonly context: string | null;
  readonly clientId: string;
  readonly #mqtt: MqttClient;
  readonly #rpc: RpcChannel;
  readonly #listeners = new Map<string, Listener>();
  #closing: Promise<void> | undefined;

  private constructor(mqttClient: MqttClient, rpc: RpcChannel, o: ResolvedOptions) {
    super();
    this.#mqtt = mqttClient;
    this.#rpc = rpc;
    this.namespace = o.namespace;
    this.sender = o.sender;
    this.context = o.context;
    this.clientId = o.clientId;
  }

  static async connect(options: NotificationClientOptions = {}): Promise<AIFlowNotificationClient> {
    const o = resolveOptions(options);
    const mqttClient = await connectWithLogin(
      o.server,
      {
        clientId: o.clientId,
        clean: true,
        resubscribe: false, // subscriptions are restored by the client itself, before listeners catch up
        reconnectPeriod: o.reconnectPeriodMs,
        connectTimeout: o.connectTimeoutMs,
        tls: o.tls,
      },
      o.credentials,
    );
    const rpc = new RpcChannel(mqttClient, o.clientId, o.requestTimeoutMs);
    const client = new AIFlowNotificationClient(mqttClient, rpc, o);
    await client.#start();
    return client;
  }

  async #start(): Promise<void> {
    this.#mqtt.on('message', (topic, payload) => this.#onMessage(topic, payload));
    this.#mqtt.on('offline', () => this.emit('offline'));
    this.#mqtt.on('connect', () => void this.#onReconnect());
    await this.#mqtt.subscribeAsync(this.#rpc.replyTopic, { qos: 1 });
  }

  async #onReconnect(): Promise<void> {
    // Live events of the new subscriptions wait for the catch-up: delivered first, they would open a gap.
    for (const listener of this.#listeners.values()) listener.hold();
    try {
      await this.#mqtt.subscribeAsync(this.#rpc.replyTopic, { qos: 1 });
      const topics = this.#topics();
      if (topics.length > 0) await this.#mqtt.subscribeAsync(topics, { qos: 1 });
    } catch {
      return; // the connection dropped again; the next 'connect' retries
    }
    this.#rpc.resendPending();
    for (const listener of this.#listeners.values()) void listener.catchUp();
    this.emit('reconnected');
  }

  #onMessage(topic: string, payload: Buffer): void {
    if (this.#rpc.handleMessage(topic, payload)) return;
    const fromFeed = topic === EVENT_FEED_TOPIC;
    if (!fromFeed && !isEventTopic(topic)) return;
    let events: Event[];
    try {
      events = fromFeed ? decodeEventBatch(payload) : [decodeEvent(payload)];
    } catch {
      return; // not an envelope: nothing a listener could use
    }
    // Each listener takes its events from one source only: the feed and the event topics are separate streams,
    // and an event of one arriving before an earlier one of the other would move the cursor past it.
    for (const listener of this.#listeners.values()) {
      if (listener.readsFeed === fromFeed) listener.onLiveEvents(events);
    }
  }

  /** Sends one event; resolves with it as stored (offset, createTime) once it is durable. */
  async sendEvent(key: string, value: string = '', options: { context?: string } = {}): Promise<Event> {
    const { event } = await this.#call('events.send', {
      namespace: this.namespace,
      key: validateKey(key),
      value,
      sender: this.sender,
      context: options.context ?? this.context,
      idempotencyId: timeOrderedId(),
    });
    return event;
  }

  /**
   * Events matching the filter, ordered by offset. The namespace defaults to the client's;
   * without `limit` every matching event is returned (read page by page).
   */
  async listEvents(filter: ListFilter = {}): Promise<Event[]> {
    const { limit, ...rest } = filter;
    const query: EventFilter = { ...rest, namespace: rest.namespace ?? this.namespace };
    if (limit !== undefined) return (await this.#call('events.list', { ...query, limit })).events;
    const all: Event[] = [];
    for (;;) {
      const page = await this.#page(query, LIMITS.maxListLimit);
      all.push(...page);
      if (page.length < LIMITS.maxListLimit) return all;
      query.beginOffset = page[page.length - 1]!.offset;
    }
  }

  /** Number of matching events, in total and per sender. The namespace defaults to the client's. */
  async countEvents(filter: EventFilter = {}): Promise<{ total: number; bySender: SenderCount[] }> {
    return this.#call('events.count', { ...filter, namespace: filter.namespace ?? this.namespace });
  }

  /** The largest offset whose createTime <= time (0 if none); without a time, the latest offset. */
  async timeToOffset(time?: Date | number): Promise<number> {
    const ms = time === undefined ? undefined : time instanceof Date ? time.getTime() : time;
    return (await this.#call('events.timeToOffset', { time: ms })).offset;
  }

  /** Starts delivering events of the client's namespace to `processor`; returns the listener's id. */
  async registerListener(processor: ListenerProcessor, options: ListenerOptions = {}): Promise<string> {
    this.#assertOpen();
    const keys = options.eventKeys?.map(validateKey) ?? null;
    const afterOffset = await this.#startOffset(options);
    const namespace = options.allNamespaces ? null : this.namespace;
    const listener = new Listener(randomId(), { namespace, keys, afterOffset }, processor, {
      fetch: (filter, limit) => this.#page(filter, limit),
      onProcessorError: (error, events) => this.#reportListenerError(listener.id, error, events),
      onFetchError: (error) => this.#reportListenerError(listener.id, error, []),
    });
    this.#listeners.set(listener.id, listener);
    await this.#mqtt.subscribeAsync(listener.topics(), { qos: 1 });
    await listener.catchUp();
    return listener.id;
  }

  /** Stops a listener and releases its subscriptions; waits for the batch in progress. */
  async unregisterListener(id: string): Promise<void> {
    const listener = this.#listeners.get(id);
    if (!listener) throw new AIFlowError('INVALID_OPTION', `no listener with id ${id}`);
    this.#listeners.delete(id);
    const stillNeeded = new Set(this.#topics());
    const unused = listener.topics().filter((t) => !stillNeeded.has(t));
    await listener.stop();
    if (unused.length > 0 && this.#mqtt.connected) await this.#mqtt.unsubscribeAsync(unused);
  }

  /** Stops every listener and closes the connection; pending calls fail with CLIENT_CLOSED. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#listeners.values()].map((l) => l.stop()));
      this.#listeners.clear();
      this.#rpc.rejectAll(new AIFlowError('CLIENT_CLOSED', 'the client was closed'));
      await this.#mqtt.endAsync(true);
    })();
    return this.#closing;
  }

  async #startOffset(options: ListenerOptions): Promise<number> {
    if (options.beginOffset !== undefined) {
      if (!Number.isSafeInteger(options.beginOffset) || options.beginOffset < 0) {
        throw new AIFlowError('INVALID_OPTION', `beginOffset must be a non-negative integer`);
      }
      return options.beginOffset;
    }
    if (options.beginTime !== undefined) {
      const ms = options.beginTime instanceof Date ? options.beginTime.getTime() : options.beginTime;
      if (!Number.isFinite(ms)) throw new AIFlowError('INVALID_OPTION', 'beginTime must be a valid time');
      return ms <= 0 ? 0 : this.timeToOffset(ms - 1);
    }
    return this.timeToOffset();
  }

  #page(filter: EventFilter, limit: number): Promise<Event[]> {
    return this.#call('events.list', { ...filter, limit }).then((r) => r.events);
  }

  #topics(): string[] {
    return [...new Set([...this.#listeners.values()].flatMap((l) => l.topics()))];
  }

  #call: RpcChannel['call'] = (method, params) => {
    this.#assertOpen();
    return this.#rpc.call(method, params);
  };

  #assertOpen(): void {
    if (this.#closing) throw new AIFlowError('CLIENT_CLOSED', 'the client was closed');
  }

  #reportListenerError(listenerId: string, error: unknown, events: Event[]): void {
    if (this.listenerCount('listenerError') > 0) {
      this.emit('listenerError', error, { listenerId, events });
      return;
    }
    const e = toAIFlowError(error);
    const offsets =
      events.length > 0 ? ` (offsets ${events[0]!.offset}-${events[events.length - 1]!.offset})` : '';
    // console, not process.stderr: the client also runs in a browser.
    console.error(`aiflow: listener ${listenerId} failed${offsets}: ${e.message}`);
  }
}

interface ResolvedOptions {
  server: string;
  namespace: string;
  sender: string;
  context: string | null;
  clientId: string;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  reconnectPeriodMs: number;
  credentials: { username: string; password: string } | undefined;
  tls: ClientTls | undefined;
}

function resolveOptions(options: NotificationClientOptions): ResolvedOptions {
  const clientId = options.clientId ?? `aiflow-${randomId()}`;
  const positive = (name: string, value: number) => {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new AIFlowError('INVALID_OPTION', `${name} must be a positive integer, got ${value}`);
    }
    return value;
  };
  return {
    server: options.server ?? fromEnv('server') ?? DEFAULT_SERVER_URL,
    namespace: validateNamespace(options.namespace ?? fromEnv('namespace') ?? DEFAULT_NAMESPACE),
    sender: options.sender ?? fromEnv('sender') ?? clientId,
    context: options.context ?? fromEnv('context') ?? null,
    clientId,
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 30_000),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs ?? 10_000),
    reconnectPeriodMs: positive('reconnectPeriodMs', options.reconnectPeriodMs ?? 500),
    credentials: options.credentials,
    tls: options.tls ?? clientTlsFromEnv(),
  };
}
