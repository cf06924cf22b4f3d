import type { Aedes, Client } from 'aedes';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventLog } from './event-log.ts';

/** Publish→ack latencies span a cached append (sub-millisecond) to a disk sync on a busy disk (tens of ms). */
const ACK_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The broker's Prometheus series: events stored, publishes refused, how long a durable publish waits for its ack,
 * clients, subscriptions and the head of the event log. Each broker has its own registry (several brokers may run
 * in one process, in tests).
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly #refused: Counter<'code'>;
  readonly #ackLatency: Histogram;
  /** Subscriptions of connected clients, by client: Aedes keeps no count. */
  readonly #subscriptions = new Map<Client, Set<string>>();

  constructor(aedes: Aedes, log: EventLog) {
    const registers = [this.registry];
    const ingested = new Counter({
      name: 'aiflow_events_ingested_total',
      help: 'Events stored in the event log (duplicates of an idempotency id not counted), by namespace.',
      labelNames: ['namespace'],
      registers,
    });
    // One increment per namespace and commit: a group commit holds up to thousands of events.
    log.onCommitted((events) => {
      const byNamespace = new Map<string, number>();
      for (const { namespace } of events) byNamespace.set(namespace, (byNamespace.get(namespace) ?? 0) + 1);
      for (const [namespace, count] of byNamespace) ingested.inc({ namespace }, count);
    });
    this.#refused = new Counter({
      name: 'aiflow_publishes_refused_total',
      help: 'Publishes refused (the client was disconnected), by error code.',
      labelNames: ['code'],
      registers,
    });
    this.#ackLatency = new Histogram({
      name: 'aiflow_publish_ack_duration_seconds',
      help: 'From the arrival of an event publish to its acknowledgement (validated and durably stored).',
      buckets: ACK_BUCKETS_SECONDS,
      registers,
    });
    new Gauge({
      name: 'aiflow_connected_clients',
      help: 'MQTT clients connected (TCP and WebSocket).',
      registers,
      collect() {
        this.set(aedes.connectedClients);
      },
    });
    const subscriptions = this.#subscriptions;
    new Gauge({
      name: 'aiflow_subscriptions',
      help: 'Topic filters subscribed by connected clients.',
      registers,
      collect() {
        let count = 0;
        for (const topics of subscriptions.values()) count += topics.size;
        this.set(count);
      },
    });
    new Gauge({
      name: 'aiflow_event_log_head_offset',
      help: 'Offset of the last event stored in the event log.',
      registers,
      collect() {
        this.set(log.headOffset);
      },
    });
    aedes.on('subscribe', (granted, client) => {
      let topics = subscriptions.get(client);
      if (!topics) subscriptions.set(client, (topics = new Set()));
      for (const { topic } of granted) topics.add(topic);
    });
    aedes.on('unsubscribe', (topics, client) => {
      for (const topic of topics) subscriptions.get(client)?.delete(topic);
    });
    aedes.on('clientDisconnect', (client) => subscriptions.delete(client));
  }

  publishRefused(code: string): void {
    this.#refused.inc({ code });
  }

  /** Starts timing one publish; call the result when it is acknowledged. */
  timeAck(): () => void {
    return this.#ackLatency.startTimer();
  }
}
