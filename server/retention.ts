import type { Credentials } from '../protocol/admin-credential.ts';
import type { Logger } from '../broker/logger.ts';
import type { ClientTls } from '../client/client-tls.ts';
import { SchedulerClient } from '../client/scheduler-client.ts';

export interface RetentionOptions {
  /** The server's own MQTT URL: retention uses the same methods as `aiflow db prune`. */
  server: string;
  /** Certificates of the server's own `mqtts://` address. */
  tls?: ClientTls | undefined;
  /** An admin's login (pruning needs admin in every namespace). @defaultValue none: the SDK's own lookup */
  credentials?: Credentials;
  /** Remove events created longer ago than this (never above the scheduler's checkpoint). */
  eventsMs?: number;
  /** Remove executions that finished longer ago than this, with their task files. */
  executionsMs?: number;
  /** How often to apply it. @defaultValue one hour */
  intervalMs?: number;
  logger: Logger;
}

/** Stops the periodic retention; waits for a pass under way. */
export interface Retention {
  close(): Promise<void>;
}

/**
 * Applies a retention setting periodically (`server start --retain-events 30d --retain-executions 7d`): once soon
 * after start, then every `intervalMs`. A failed pass (scheduler not running yet, say) is logged and tried again at
 * the next one.
 */
export function startRetention(options: RetentionOptions): Retention {
  const { eventsMs, executionsMs, logger } = options;
  let running: Promise<void> = Promise.resolve();
  const pass = async (): Promise<void> => {
    const now = Date.now();
    const client = await SchedulerClient.connect({
      server: options.server,
      tls: options.tls,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    try {
      if (executionsMs !== undefined) {
        const r = await client.call('workflowExecution.prune', {
          finishedBefore: now - executionsMs,
        });
        logger.info('retention: executions pruned', { executions: r.executions, files: r.files });
      }
      if (eventsMs !== undefined) {
        const r = await client.call('events.prune', {
          createdBefore: now - eventsMs,
        });
        logger.info('retention: events pruned', { removed: r.removed, maxOffset: r.maxOffset });
      }
    } finally {
      await client.close();
    }
  };
  const tick = () => {
    running = pass().catch((error: unknown) => logger.warn('retention pass failed', { error }));
  };
  const first = setTimeout(tick, 1_000);
  const timer = setInterval(tick, options.intervalMs ?? 3_600_000);
  first.unref();
  timer.unref();
  return {
    async close() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
