import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import {
  FINISHED_TASK_STATUSES,
  FINISHED_WORKFLOW_EXECUTION_STATUSES,
  type TaskStatus,
  type WorkflowExecutionStatus,
} from '../protocol/status.ts';
import type { Recovery } from './store/metadata-store.ts';
import type { UnitOfWork } from './store/records.ts';

/** The series a scheduler exports, as plain data: what crosses the supervisor's IPC channel. */
export type SchedulerMetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Name of the gauge the server subtracts from the log's head offset to get the scheduler's lag. */
export const PROCESSED_OFFSET_METRIC = 'aiflow_scheduler_processed_offset';

/** What a unit of work costs: a few µs in memory, then one commit (a disk sync with `synchronous=FULL`). */
const UNIT_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** Task runs last from a second to hours. */
const TASK_BUCKETS_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];

/** Anything whose queue of task runs waiting for a free slot can be read (the local executor). */
export interface QueueSource {
  readonly queued: number;
}

/**
 * The scheduler's Prometheus series, in a registry of its own: the server merges them with the broker's, read in
 * process or over the supervisor's IPC channel. Status gauges and finished counters are kept from what the scheduler
 * commits (`committed`) and reloads (`recovered`), so they hold whatever drives the store.
 */
export class SchedulerMetrics {
  readonly registry = new Registry();
  readonly #processedOffset: Gauge;
  readonly #inputs: Counter<'kind'>;
  readonly #unitOfWork: Histogram;
  readonly #commit: Histogram;
  readonly #taskFinished: Counter<'status'>;
  readonly #taskDuration: Histogram<'status'>;
  readonly #executionFinished: Counter<'status'>;
  /** Live task executions and their status (finished ones leave). */
  readonly #liveTasks = new Map<number, TaskStatus>();
  /** Live workflow executions and their status. */
  readonly #liveExecutions = new Map<number, WorkflowExecutionStatus>();
  #executor: QueueSource | null = null;
  #processed = 0;
  /** Until the scheduler reports its inputs itself, each commit counts as one input (one commit per input). */
  #inputsFromCommits = true;

  constructor() {
    const registers = [this.registry];
    this.#processedOffset = new Gauge({
      name: PROCESSED_OFFSET_METRIC,
      help: 'Offset of the last event of the log the scheduler has processed.',
      registers,
    });
    this.#processedOffset.set(0);
    this.#inputs = new Counter({
      name: 'aiflow_scheduler_inputs_total',
      help: 'Inputs the scheduler handled (events, task reports, requests, timers), by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.#unitOfWork = new Histogram({
      name: 'aiflow_scheduler_unit_of_work_duration_seconds',
      help: 'From the start of an input to the commit of its changes.',
      buckets: UNIT_BUCKETS_SECONDS,
      registers,
    });
    this.#commit = new Histogram({
      name: 'aiflow_scheduler_commit_duration_seconds',
      help: 'One commit of the metadata store.',
      buckets: UNIT_BUCKETS_SECONDS,
      registers,
    });
    const liveTasks = this.#liveTasks;
    new Gauge({
      name: 'aiflow_task_executions',
      help: 'Live task executions, by status (init, queued, running, stopping, retrying).',
      labelNames: ['status'],
      registers,
      collect() {
        this.reset();
        for (const status of ['init', 'queued', 'running', 'stopping', 'retrying'] as const) {
          this.set({ status }, 0);
        }
        for (const status of liveTasks.values()) this.inc({ status });
      },
    });
    const liveExecutions = this.#liveExecutions;
    new Gauge({
      name: 'aiflow_workflow_executions',
      help: 'Live workflow executions, by status (init, running).',
      labelNames: ['status'],
      registers,
      collect() {
        this.reset();
        for (const status of ['init', 'running'] as const) this.set({ status }, 0);
        for (const status of liveExecutions.values()) this.inc({ status });
      },
    });
    this.#taskFinished = new Counter({
      name: 'aiflow_task_executions_finished_total',
      help: 'Task executions that finished, by final status (success, failed, stopped).',
      labelNames: ['status'],
      registers,
    });
    this.#taskDuration = new Histogram({
      name: 'aiflow_task_execution_duration_seconds',
      help: 'Task executions from creation to their final status (queueing and retries included), by status.',
      labelNames: ['status'],
      buckets: TASK_BUCKETS_SECONDS,
      registers,
    });
    this.#executionFinished = new Counter({
      name: 'aiflow_workflow_executions_finished_total',
      help: 'Workflow executions that finished, by final status (success, failed, stopped).',
      labelNames: ['status'],
      registers,
    });
    const executor = () => this.#executor;
    new Gauge({
      name: 'aiflow_executor_queue_depth',
      help: 'Task runs waiting for a free slot of the executor (parallelism).',
      registers,
      collect() {
        const source = executor();
        if (source) return this.set(source.queued);
        let queued = 0;
        for (const status of liveTasks.values()) if (status === 'queued') queued++;
        this.set(queued);
      },
    });
  }

  /** An event of the log was fully processed (its effects committed, or nothing to do). */
  eventProcessed(offset: number): void {
    // Offsets only grow: a checkpoint stored later than the scheduler processed it never moves the gauge back.
    if (offset > this.#processed) this.#processedOffset.set((this.#processed = offset));
  }

  /** One input was handled; `seconds` from its start to its commit. */
  inputHandled(kind: string, seconds: number): void {
    this.#inputsFromCommits = false;
    this.#inputs.inc({ kind });
    this.#unitOfWork.observe(seconds);
  }

  /** The executor's own queue, read at each scrape (otherwise: task executions in status `queued`). */
  watchExecutor(executor: QueueSource): void {
    this.#executor = executor;
  }

  /** A unit of work was committed: statuses move, finished executions are counted and timed. */
  committed(work: UnitOfWork, seconds: number): void {
    this.#commit.observe(seconds);
    if (work.checkpoint !== undefined) this.eventProcessed(work.checkpoint);
    if (this.#inputsFromCommits)
      this.#inputs.inc({ kind: work.checkpoint === undefined ? 'other' : 'event' });
    for (const record of work.taskExecutions) {
      const finished = FINISHED_TASK_STATUSES.has(record.status);
      if (!finished) {
        this.#liveTasks.set(record.id, record.status);
        continue;
      }
      // Counted once, when it leaves the live set (a finished record may be written again, e.g. with its pid).
      if (!this.#liveTasks.delete(record.id)) continue;
      this.#taskFinished.inc({ status: record.status });
      const endTime = record.endTime ?? record.beginTime;
      this.#taskDuration.observe({ status: record.status }, Math.max(0, endTime - record.beginTime) / 1000);
    }
    for (const record of work.workflowExecutions) {
      if (!FINISHED_WORKFLOW_EXECUTION_STATUSES.has(record.status)) {
        this.#liveExecutions.set(record.id, record.status);
      } else if (this.#liveExecutions.delete(record.id)) {
        this.#executionFinished.inc({ status: record.status });
      }
    }
  }

  /** The scheduler (re)loaded its state from the store: the live sets are what the store says. */
  recovered(recovery: Recovery): void {
    this.#liveTasks.clear();
    this.#liveExecutions.clear();
    for (const record of recovery.runningExecutions) this.#liveExecutions.set(record.id, record.status);
    for (const record of recovery.taskExecutions) {
      if (!FINISHED_TASK_STATUSES.has(record.status)) this.#liveTasks.set(record.id, record.status);
    }
    this.eventProcessed(recovery.checkpoint);
  }

  /** The series as plain data, for the server to merge. */
  snapshot(): Promise<SchedulerMetricsSnapshot> {
    return this.registry.getMetricsAsJSON() as Promise<SchedulerMetricsSnapshot>;
  }
}
