import type { Logger } from '../broker/logger.ts';
import { taskStatusKey, workflowStatusKey } from '../protocol/status-events.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type { OutboxRecord } from './store/records.ts';

const FINAL = new Set(['success', 'failed', 'stopped']);

/**
 * One `info` line per execution and task transition, made from the status events as they are committed:
 * `execution 12 of etl started (manual)`, `task b of execution 12: running → success (1.2 s)`,
 * `execution 12 of etl: success (3.4 s)`. Lines keep commit order; the time spent in a status is measured
 * here, from the commits this process saw.
 */
export class TransitionLog {
  readonly #store: MetadataStore;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** The last status of each live task execution and when it was committed. */
  readonly #tasks = new Map<number, { status: string; since: number }>();
  #tail: Promise<void> = Promise.resolve();

  constructor(store: MetadataStore, logger: Logger, now: () => number = Date.now) {
    this.#store = store;
    this.#logger = logger;
    this.#now = now;
  }

  record(records: readonly OutboxRecord[]): void {
    // Below `info` nothing would be written: no context parsed, no execution read.
    if (!this.#logger.enabled('info')) return;
    const at = this.#now();
    this.#tail = this.#tail.then(async () => {
      for (const record of records) {
        await this.#describe(record, at).catch((error: unknown) =>
          this.#logger.warn('transition not logged', { key: record.key, error }),
        );
      }
    });
  }

  async #describe(record: OutboxRecord, at: number): Promise<void> {
    const context = parse(record.context);
    const executionId = context.workflowExecutionId;
    const workflow = context.workflow;
    if (typeof executionId !== 'number' || typeof workflow !== 'string') return;
    if (record.key === workflowStatusKey(workflow)) {
      const execution = await this.#store.getWorkflowExecution(executionId);
      const fields = { namespace: record.namespace, workflow, workflowExecutionId: executionId };
      if (record.value === 'running') {
        const runType = execution?.runType ?? 'unknown';
        this.#logger.info(`execution ${executionId} of ${workflow} started (${runType})`, {
          ...fields,
          runType,
        });
      } else {
        const took = execution?.endTime ? ` (${seconds(execution.endTime - execution.beginTime)})` : '';
        this.#logger.info(`execution ${executionId} of ${workflow}: ${record.value}${took}`, {
          ...fields,
          status: record.value,
        });
      }
      return;
    }
    const task = context.task;
    if (typeof task !== 'string' || record.key !== taskStatusKey(workflow, task)) return;
    const taskExecutionId = typeof context.taskExecutionId === 'number' ? context.taskExecutionId : null;
    const previous = taskExecutionId === null ? undefined : this.#tasks.get(taskExecutionId);
    const change = previous
      ? `${previous.status} → ${record.value} (${seconds(at - previous.since)})`
      : record.value;
    const reason = typeof context.reason === 'string' && context.reason ? `: ${context.reason}` : '';
    this.#logger.info(`task ${task} of execution ${executionId}: ${change}${reason}`, {
      namespace: record.namespace,
      workflowExecutionId: executionId,
      task,
      taskExecutionId,
      status: record.value,
    });
    if (taskExecutionId === null) return;
    if (FINAL.has(record.value)) this.#tasks.delete(taskExecutionId);
    else this.#tasks.set(taskExecutionId, { status: record.value, since: at });
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function parse(context: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(context);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
