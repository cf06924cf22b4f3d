import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import type { BrokerServer } from '../broker/index.ts';
import type { Logger } from '../broker/logger.ts';
import { readiness, type ReadinessBounds } from './readiness.ts';
import { schedulerProgress, type SchedulerSeriesSource } from './scheduler-progress.ts';

const LAG_EVENTS = 'aiflow_scheduler_lag_events';
const LAG_SECONDS = 'aiflow_scheduler_lag_seconds';

/**
 * `/metrics` (Prometheus text format: the broker's series, the scheduler's and the lag between them, in one
 * exposition), `/healthz` (the process answers) and `/readyz` (broker listening, event log writable, scheduler
 * caught up), served on the server's HTTP listeners.
 */
export class HttpEndpoints {
  readonly #broker: BrokerServer;
  readonly #scheduler: SchedulerSeriesSource;
  readonly #bounds: ReadinessBounds;
  readonly #logger: Logger;
  /** The series only the server can compute: they need both the log's head and the scheduler's progress. */
  readonly #registry = new Registry();
  readonly #up: Gauge;
  readonly #lagEvents: Gauge;
  readonly #lagSeconds: Gauge;

  constructor(
    broker: BrokerServer,
    scheduler: SchedulerSeriesSource,
    bounds: ReadinessBounds,
    logger: Logger,
  ) {
    this.#broker = broker;
    this.#scheduler = scheduler;
    this.#bounds = bounds;
    this.#logger = logger;
    const registers = [this.#registry];
    this.#up = new Gauge({
      name: 'aiflow_scheduler_connected',
      help: '1 when a scheduler is connected to the broker and listening for requests, else 0.',
      registers,
    });
    this.#lagEvents = new Gauge({
      name: LAG_EVENTS,
      help: 'Events stored in the log but not yet processed by the scheduler (log head offset - processed offset).',
      registers,
    });
    this.#lagSeconds = new Gauge({
      name: LAG_SECONDS,
      help: 'Age of the oldest event the scheduler has not processed yet (0 when caught up).',
      registers,
    });
  }

  readonly handle: RequestListener = (request, response) => {
    this.#route(request, response).catch((error: unknown) => {
      this.#logger.error('HTTP endpoint failed', { path: request.url, reason: (error as Error).message });
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  };

  /** The whole exposition, in the Prometheus text format. */
  async metrics(): Promise<string> {
    const progress = await schedulerProgress(this.#broker, this.#scheduler);
    this.#up.set(progress.connected ? 1 : 0);
    // An unknown lag is absent, not 0: a dashboard must not show a scheduler it cannot see as caught up.
    const unknown = new Set<string>();
    for (const [name, gauge, value] of [
      [LAG_EVENTS, this.#lagEvents, progress.lagEvents],
      [LAG_SECONDS, this.#lagSeconds, progress.lagSeconds],
    ] as const) {
      if (value === null) unknown.add(name);
      else gauge.set(value);
    }
    const own = (await this.#registry.getMetricsAsJSON()).filter((m) => !unknown.has(m.name));
    const parts = [await this.#broker.metrics.registry.getMetricsAsJSON(), own];
    if (progress.series) parts.push(progress.series);
    // The parts have no series in common: the aggregation (made for cluster workers) only joins them.
    return AggregatorRegistry.aggregate(parts).metrics();
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!['/metrics', '/healthz', '/readyz'].includes(path)) return void response.writeHead(404).end();
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    }
    if (path === '/healthz') return send(response, 200, 'application/json', '{"status":"ok"}\n');
    if (path === '/metrics')
      return send(response, 200, Registry.PROMETHEUS_CONTENT_TYPE, await this.metrics());
    const progress = await schedulerProgress(this.#broker, this.#scheduler);
    const result = readiness(this.#broker, progress, this.#bounds);
    send(response, result.ready ? 200 : 503, 'application/json', JSON.stringify(result) + '\n');
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body);
}
