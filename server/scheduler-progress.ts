import type { BrokerServer } from '../broker/index.ts';
import { PROCESSED_OFFSET_METRIC, type SchedulerMetricsSnapshot } from '../scheduler/scheduler-metrics.ts';

/** Where the server reads the scheduler's series and its processed offset. */
export interface SchedulerSeriesSource {
  /** The scheduler's series (in process, or over the child's IPC channel); null when unavailable. */
  series(): Promise<SchedulerMetricsSnapshot | null>;
  /** The processed offset when there are no series (a scheduler run apart): read from its store. */
  storedCheckpoint?(): number | null;
}

/** How far the scheduler is behind the event log, as one scrape or readiness check sees it. */
export interface SchedulerProgress {
  /** A scheduler is connected to the broker and listening for requests. */
  connected: boolean;
  series: SchedulerMetricsSnapshot | null;
  /** Last event offset the scheduler processed; null when unknown. */
  processedOffset: number | null;
  /** Events stored but not yet processed; null when unknown. */
  lagEvents: number | null;
  /** Age of the oldest event not yet processed (0 when caught up); null when unknown. */
  lagSeconds: number | null;
}

export async function schedulerProgress(
  broker: BrokerServer,
  source: SchedulerSeriesSource,
): Promise<SchedulerProgress> {
  const head = broker.log.headOffset;
  const series = await source.series();
  const processedOffset = series ? processedOffsetOf(series) : (source.storedCheckpoint?.() ?? null);
  const lagEvents = processedOffset === null ? null : Math.max(0, head - processedOffset);
  let lagSeconds: number | null = lagEvents === 0 ? 0 : null;
  if (processedOffset !== null && lagEvents !== null && lagEvents > 0) {
    const [oldest] = await broker.log.list({ beginOffset: processedOffset }, 1).catch(() => []);
    if (oldest) lagSeconds = Math.max(0, Date.now() - oldest.createTime) / 1000;
  }
  return { connected: broker.schedulerOnline, series, processedOffset, lagEvents, lagSeconds };
}

function processedOffsetOf(series: SchedulerMetricsSnapshot): number | null {
  const metric = series.find((m) => m.name === PROCESSED_OFFSET_METRIC);
  return metric?.values[0]?.value ?? null;
}
