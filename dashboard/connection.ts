import mqtt, { type MqttClient } from 'mqtt';
import { RpcChannel } from '../client/rpc-channel.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { decodeEvent, type Event } from '../protocol/event.ts';
import { randomId } from '../protocol/random-id.ts';
import type { Credentials } from './credentials.ts';
import { topicMatches } from './topic-filter.ts';

export type ConnectionState = 'connecting' | 'online' | 'offline';
/** `retained`: a retained copy (the last status of a topic), not a new event. */
export type EventHandler = (event: Event, topic: string, retained: boolean) => void;

const REQUEST_TIMEOUT_MS = 30_000;
/** CONNACK return codes 4 (bad user name or password) and 5 (not authorised) [MQTT-3.2.2-3]. */
const REFUSED_LOGIN = new Set([4, 5]);

/** The server refused the login: the page asks for credentials. */
export class LoginRequired extends Error {}

/**
 * The dashboard's one MQTT connection (over WebSocket, same origin as the page): the only place that connects, so
 * login is wired here. Events arrive on subscriptions; queries go through the client SDK's request/reply channel.
 * Reconnects on its own with jitter, then re-subscribes and re-sends unanswered requests.
 */
export class Connection {
  readonly #mqtt: MqttClient;
  readonly #rpc: RpcChannel;
  readonly #handlers = new Map<string, Set<EventHandler>>();
  readonly #stateListeners = new Set<(state: ConnectionState) => void>();
  readonly #reconnectListeners = new Set<() => void>();
  state: ConnectionState = 'online';

  private constructor(client: MqttClient, clientId: string) {
    this.#mqtt = client;
    this.#rpc = new RpcChannel(client, clientId, REQUEST_TIMEOUT_MS);
    client.on('message', (topic, payload, packet) => this.#dispatch(topic, payload, packet.retain));
    client.on('offline', () => this.#setState('offline'));
    client.on('close', () => {
      // Jitter: many pages reconnecting to a restarted server do not all knock at once.
      client.options.reconnectPeriod = 1000 + Math.floor(Math.random() * 2000);
      if (this.state === 'online') this.#setState('connecting');
    });
    client.on('connect', () => void this.#reconnected());
  }

  /** Connects to the server that served the page; rejects with LoginRequired when the login is refused. */
  static connect(credentials: Credentials | null, url = defaultUrl()): Promise<Connection> {
    const clientId = `aiflow-dashboard-${randomId()}`;
    const client = mqtt.connect(url, {
      clientId,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
    });
    return new Promise((resolve, reject) => {
      // Only our own listeners are removed: MQTT.js listens to its own events too (its reconnection among them).
      const settle = () => {
        client.removeListener('error', fail);
        client.removeListener('close', closed);
        client.removeListener('connect', connected);
      };
      const fail = (error: Error & { code?: number | string }) => {
        settle();
        client.end(true);
        if (typeof error.code === 'number' && REFUSED_LOGIN.has(error.code)) {
          reject(new LoginRequired(error.message));
        } else reject(new AIFlowError('SERVER_NOT_RUNNING', `cannot connect to ${url}: ${error.message}`));
      };
      const closed = () => fail(new Error('connection closed'));
      const connected = () => {
        client
          .subscribeAsync(`$aiflow/reply/${clientId}`, { qos: 1 })
          .then(() => {
            settle();
            client.options.reconnectPeriod = 1000;
            resolve(new Connection(client, clientId));
          })
          .catch(fail);
      };
      client.once('error', fail);
      client.once('close', closed);
      client.once('connect', connected);
    });
  }

  /** A request/reply call (README "Queries"); rejects with the server's AIFlowError. */
  call<T>(method: string, params: object = {}): Promise<T> {
    return this.#rpc.request(method, params) as Promise<T>;
  }

  /**
   * Delivers the events of an MQTT topic filter (`ns/default/#`); `onSubscribed` runs once the server has granted
   * it (from then on no event is missed). Returns the unsubscribe function.
   */
  subscribe(filter: string, handler: EventHandler, onSubscribed?: () => void): () => void {
    let handlers = this.#handlers.get(filter);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(filter, handlers);
      this.#mqtt.subscribe(filter, { qos: 1 }, () => onSubscribed?.());
    } else onSubscribed?.();
    handlers.add(handler);
    return () => {
      const current = this.#handlers.get(filter);
      if (!current?.delete(handler) || current.size > 0) return;
      this.#handlers.delete(filter);
      this.#mqtt.unsubscribe(filter);
    };
  }

  onState(listener: (state: ConnectionState) => void): void {
    this.#stateListeners.add(listener);
    listener(this.state);
  }

  /** Called after each reconnection: live views catch up from the log. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  close(): void {
    this.#rpc.rejectAll(new AIFlowError('CLIENT_CLOSED', 'the dashboard closed its connection'));
    this.#mqtt.end(true);
  }

  #dispatch(topic: string, payload: Uint8Array, retained: boolean): void {
    if (this.#rpc.handleMessage(topic, payload as Buffer)) return;
    // An empty retained payload is a tombstone (a cleared status), not an event.
    if (payload.length === 0) return;
    let event: Event;
    try {
      event = decodeEvent(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    for (const [filter, handlers] of this.#handlers) {
      if (!topicMatches(filter, topic)) continue;
      for (const handler of handlers) handler(event, topic, retained);
    }
  }

  async #reconnected(): Promise<void> {
    // Subscriptions are restored by MQTT.js; the reply topic first, so re-sent requests get their answers.
    await this.#mqtt.subscribeAsync(this.#rpc.replyTopic, { qos: 1 }).catch(() => undefined);
    this.#rpc.resendPending();
    this.#setState('online');
    for (const listener of this.#reconnectListeners) listener();
  }

  #setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.#stateListeners) listener(state);
  }
}

/** The WebSocket URL of the server that served the page (the dashboard and MQTT share the listener). */
export function defaultUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}
