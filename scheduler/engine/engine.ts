import { AIFlowError } from '../../protocol/errors.ts';
import type { Event } from '../../protocol/event.ts';
import type { LiveExecution } from '../execution.ts';
import { logPath } from '../executor/task-files.ts';
import type { RequestTarget } from '../requests.ts';
import type { MetadataStore, Recovery } from '../store/metadata-store.ts';
import type { RequestRef } from '../../protocol/task-actions.ts';
import type {
  RunType,
  ScheduleRecord,
  SnapshotRecord,
  TimerRecord,
  WorkflowRecord,
} from '../store/records.ts';
import { runId } from '../task-request.ts';
import { steppedTimers } from '../clock.ts';
import { WorkflowCatalog } from '../workflow-catalog.ts';
import { EngineState } from './engine-state.ts';
import { EventRouter } from './event-router.ts';
import { ExecutionLifecycle } from './execution-lifecycle.ts';
import { InputLoop } from './input-loop.ts';
import type { EngineDeps } from './ports.ts';
import { recover } from './recovery.ts';
import { TaskLifecycle, type TaskEnd } from './task-lifecycle.ts';
import { EngineTimers } from './timers.ts';

/**
 * The scheduler's engine: inputs (events, executor reports, requests, due timers and schedules) go through one
 * loop, each becomes a unit of work (routing, rule evaluation, task and execution lifecycles), each turn of the loop
 * is committed at once, and the effects (task submits, timers, status events) follow the commit. It knows nothing
 * of MQTT or processes: the executor, the condition evaluator, the clock and the store are passed in.
 */
export class SchedulerEngine implements RequestTarget {
  /** Workflows, snapshots, schedules and triggers (the request handlers change them through it). */
  readonly catalog: WorkflowCatalog;
  readonly #d: EngineDeps;
  readonly #state = new EngineState();
  readonly #timers: EngineTimers;
  readonly #tasks: TaskLifecycle;
  readonly #executions: ExecutionLifecycle;
  readonly #router: EventRouter;
  readonly #loop: InputLoop;

  constructor(engineDeps: EngineDeps) {
    // Timers of any length: a retry, a periodic tick or a schedule may be months away (Node's limit is 24.8 days).
    const deps = { ...engineDeps, clock: steppedTimers(engineDeps.clock) };
    this.#d = deps;
    const state = this.#state;
    this.catalog = new WorkflowCatalog(deps.store, deps.clock, (schedule) =>
      this.#loop.submit({ label: 'schedule', run: () => this.#onSchedule(schedule) }),
    );
    this.#timers = new EngineTimers(state, deps.clock, (timer) => void this.#onTimerDue(timer));
    this.#tasks = new TaskLifecycle({
      state,
      timers: this.#timers,
      runner: deps.runner,
      clock: deps.clock,
      server: {
        url: deps.server,
        dataDir: deps.dataDir,
        ...(deps.taskSecret === undefined ? {} : { taskSecret: deps.taskSecret }),
      },
      failedToStart: (end) => void this.taskFinished(end).catch(() => undefined),
      ended: (execution) => this.#executions.taskEnded(execution),
    });
    this.#executions = new ExecutionLifecycle(state, this.#tasks, this.#timers, deps.clock);
    this.#router = new EventRouter({
      state,
      catalog: this.catalog,
      tasks: this.#tasks,
      executions: this.#executions,
      conditions: deps.conditions,
      dataDir: deps.dataDir,
      logger: deps.logger,
    });
    this.#loop = new InputLoop({
      store: deps.store,
      state,
      logger: deps.logger,
      reload: () => this.#reload(),
      publish: deps.publish,
      ...(deps.statusBacklog ? { statusBacklog: deps.statusBacklog } : {}),
      ...(deps.onCommitted ? { onCommitted: deps.onCommitted } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
  }

  get store(): MetadataStore {
    return this.#d.store;
  }

  get dataDir(): string {
    return this.#d.dataDir;
  }

  /** Snapshots that may evaluate conditions soon: the live executions' and the enabled workflows' current ones. */
  activeSnapshots(): SnapshotRecord[] {
    const snapshots = new Map<number, SnapshotRecord>();
    for (const execution of this.#state.live.values())
      snapshots.set(execution.snapshot.id, execution.snapshot);
    for (const snapshot of this.catalog.currentSnapshots()) snapshots.set(snapshot.id, snapshot);
    return [...snapshots.values()];
  }

  /** Executions in memory (running or stopping, or finished with a task still reporting). */
  get liveExecutions(): number {
    return this.#state.live.size;
  }

  /**
   * Loads the working set from the store and resumes what a restart interrupted (first unit of work). Status
   * events committed but not yet published are handed to the publisher first. Returns the recovery read.
   */
  async load(): Promise<Recovery> {
    const recovery = await this.#d.store.loadRecovery();
    this.#d.publish(recovery.outbox);
    await this.catalog.load(recovery);
    await this.#loop.submit({ label: 'recovery', run: () => recover(this.#recoveryDeps(), recovery) });
    return recovery;
  }

  // ---- inputs ----

  /** Events of the log, in offset order; resolves once they are committed. */
  async events(events: Event[]): Promise<void> {
    await Promise.all(
      events.map((event) =>
        this.#loop.submit({
          label: `event:${event.key}`,
          event: { offset: event.offset, key: event.key },
          run: () => this.#router.route(event),
        }),
      ),
    );
  }

  taskStarted(runId: number, pid: number): Promise<void> {
    return this.#loop.submit({ label: 'task.started', run: () => this.#tasks.started(runId, pid) });
  }

  taskFinished(end: TaskEnd): Promise<void> {
    return this.#loop.submit({ label: 'task.finished', run: () => this.#tasks.finished(end) });
  }

  /** A request, handled as one unit of work in a batch of its own; resolves after the commit. */
  request<T>(method: string, handle: (target: RequestTarget) => Promise<T>): Promise<T> {
    return this.#loop.submit({ label: `request:${method}`, alone: true, run: () => handle(this) });
  }

  // ---- operations, inside the unit of work of a request ----

  /** Starts an execution on the workflow's current snapshot, by request (`by`: the request, for its tasks). */
  async startExecution(
    workflow: WorkflowRecord,
    runType: RunType,
    by: RequestRef = { method: 'workflowExecution.start' },
  ): Promise<number> {
    const snapshot = await this.catalog.snapshot(workflow.snapshotId);
    return this.#executions.create(workflow, snapshot, runType, { kind: 'request', ...by }).record.id;
  }

  /** Stops a running execution; a stopping one is left to finish its stop. */
  async stopExecution(id: number, by: RequestRef = { method: 'workflowExecution.stop' }): Promise<void> {
    this.#executions.stop(this.#requireLive(id), by);
  }

  async startTask(
    executionId: number,
    taskName: string,
    by: RequestRef = { method: 'taskExecution.start' },
  ): Promise<number> {
    const execution = this.#requireLive(executionId);
    const task = execution.task(taskName);
    if (!task)
      throw new AIFlowError('NOT_FOUND', `task ${taskName} is not in workflow ${execution.spec.name}`);
    if (execution.isTaskLive(taskName)) {
      throw new AIFlowError('CONFLICT', `task ${taskName} already has a live execution`);
    }
    this.#tasks.start(execution, task, { kind: 'request', ...by });
    return execution.latest.get(taskName)!.record.id;
  }

  async stopTask(
    executionId: number,
    taskName: string,
    by: RequestRef = { method: 'taskExecution.stop' },
  ): Promise<void> {
    const execution = this.#requireLive(executionId);
    if (!execution.task(taskName)) {
      throw new AIFlowError('NOT_FOUND', `task ${taskName} is not in workflow ${execution.spec.name}`);
    }
    if (!execution.isTaskLive(taskName)) throw new AIFlowError('CONFLICT', `task ${taskName} is not running`);
    this.#tasks.stop(execution, taskName, { kind: 'request', ...by });
  }

  /** Log files of a task execution, one per attempt. */
  logFiles(taskExecutionId: number, attempts: number): string[] {
    return Array.from({ length: attempts }, (_, i) =>
      logPath(`${this.#d.dataDir}/tasks`, runId(taskExecutionId, i + 1)),
    );
  }

  /** Disarms every timer and schedule: nothing new starts (the first step of closing). */
  stopTimers(): void {
    this.#timers.clear();
    this.catalog.close();
  }

  /** Waits for the inputs submitted so far, stores the checkpoint, drops memory. Task processes go on. */
  async close(): Promise<void> {
    this.stopTimers();
    await this.#loop.flushCheckpoint().catch(() => undefined);
    this.#state.clear();
  }

  // ---- internals ----

  #requireLive(id: number): LiveExecution {
    const execution = this.#state.live.get(id);
    if (!execution) throw new AIFlowError('CONFLICT', `workflow execution ${id} is not running`);
    return execution;
  }

  /** A schedule fired: a disabled workflow does not run on its schedules (SPEC §3.7). */
  async #onSchedule(schedule: ScheduleRecord): Promise<void> {
    const workflow = this.catalog.workflow(schedule.workflowId);
    if (!workflow?.enabled) return;
    const snapshot = await this.catalog.snapshot(workflow.snapshotId);
    const { id: scheduleId, expression } = schedule;
    this.#executions.create(workflow, snapshot, 'schedule', { kind: 'schedule', scheduleId, expression });
  }

  #onTimerDue(timer: TimerRecord): Promise<void> {
    return this.#loop.submit({
      label: `timer:${timer.kind}`,
      run: () => {
        if (!this.#timers.take(timer)) return;
        if (timer.kind === 'retry') {
          const found = this.#state.byTaskExecution.get(timer.taskExecutionId);
          const slot = this.#state.slotOf(timer.taskExecutionId);
          if (found && slot) this.#tasks.retryDue(found.execution, slot);
          return;
        }
        // A periodic tick restarts the task while its execution runs, then waits for the next tick.
        const execution = this.#state.live.get(timer.workflowExecutionId);
        const task = execution?.task(timer.task);
        if (!execution || !task || execution.actor.getSnapshot().value !== 'running') return;
        this.#tasks.restart(execution, task, { kind: 'periodic', expression: task.periodic! });
        this.#timers.schedulePeriodic(execution, task);
      },
    });
  }

  /** Drops the in-memory state and restores it from the store, as a restart would (task processes are kept). */
  async #reload(): Promise<void> {
    this.#timers.clear();
    this.#state.clear();
    const recovery = await this.#d.store.loadRecovery();
    this.catalog.loadTriggerStates(recovery.states);
    recover(this.#recoveryDeps(), recovery);
  }

  #recoveryDeps() {
    return {
      state: this.#state,
      catalog: this.catalog,
      executions: this.#executions,
      tasks: this.#tasks,
      timers: this.#timers,
      runner: this.#d.runner,
    };
  }
}
