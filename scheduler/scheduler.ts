import { randomUUID } from 'node:crypto';
import { createActor } from 'xstate';
import { AIFlowNotificationClient } from '../client/notification-client.ts';
import type { Logger } from '../broker/logger.ts';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import type { Event } from '../protocol/event.ts';
import { DEFAULT_SERVER_URL } from '../protocol/runtime-env.ts';
import { FINISHED_TASK_STATUSES, type TaskStatus } from '../protocol/status.ts';
import {
  contextWorkflowExecutionId,
  taskStatusKey,
  workflowStatusKey,
  type TaskStatusContext,
  type WorkflowStatusContext,
} from '../protocol/status-events.ts';
import { SCHEDULER_USERNAME } from '../protocol/topics.ts';
import { expectedKeys as expectedKeysOf, type TaskSpec } from '../workflow/spec.ts';
import { isMet, type EvaluationScope } from './conditions.ts';
import { ConditionSandbox } from './condition-sandbox.ts';
import { conditionScope, type ScopeTarget } from './condition-scope.ts';
import { LiveExecution, type TaskSlot } from './execution.ts';
import { crashPoint } from './executor/crash-points.ts';
import { LocalTaskExecutor } from './executor/local-executor.ts';
import { logPath } from './executor/task-files.ts';
import { taskExecutionMachine, type TaskExecutionEvent } from './machines/task-execution.machine.ts';
import { workflowExecutionMachine } from './machines/workflow-execution.machine.ts';
import { handleSchedulerRequest } from './requests.ts';
import { RuleIndex } from './rule-index.ts';
import { nextRunTime, parseScheduleExpression } from './schedule/expression.ts';
import { steppedTimers, SYSTEM_CLOCK, type Clock } from './clock.ts';
import { WorkflowCatalog } from './workflow-catalog.ts';
import { SchedulerConnection } from './scheduler-connection.ts';
import { fromRunId, runId, taskRequest } from './task-request.ts';
import { StatusPublisher } from './status-publisher.ts';
import type { MetadataStore, Recovery } from './store/metadata-store.ts';
import {
  emptyUnitOfWork,
  type RunType,
  type SnapshotRecord,
  type TaskExecutionRecord,
  type TimerRecord,
  type UnitOfWork,
  type WorkflowRecord,
} from './store/records.ts';

export interface SchedulerOptions {
  /** MQTT URL of the broker. @defaultValue `mqtt://localhost:1883` */
  server?: string;
  /** The broker's scheduler token (password of the MQTT user `aiflow-scheduler`). */
  token: string;
  store: MetadataStore;
  /** Snapshots and task logs go here. */
  dataDir: string;
  logger: Logger;
  /** Task processes running at once. @defaultValue 10 */
  parallelism?: number;
  /** Grace between SIGTERM and SIGKILL when a task is stopped. @defaultValue 10000 */
  stopGraceMs?: number;
  /** Longest a custom condition's `isMet` may take; longer counts as not met. @defaultValue 2000 */
  conditionTimeoutMs?: number;
  /** Injected clock (tests drive schedules, retries and periodic tasks with it). @defaultValue the system clock */
  clock?: Clock;
}

function changedAnything(work: Work): boolean {
  const u = work.uow;
  return (
    work.effects.length > 0 ||
    u.workflowExecutions.length + u.taskExecutions.length + u.states.length + u.timers.length > 0 ||
    u.deletedTimers.length + u.outbox.length > 0
  );
}

/** Where an execution's observed task statuses are stored (a name no user state can have). */
const OBSERVED_STATE = '$observed';

/** The work one input (an event, a task report, a request, a timer) does: writes to commit, effects to run after. */
interface Work {
  uow: UnitOfWork;
  effects: (() => void)[];
}

/**
 * The event-driven scheduler. It consumes the event log in offset order as an MQTT client, routes each event only
 * to the executions whose rules expect its key, runs one XState actor per workflow execution and per live task
 * execution, and commits each input's effects atomically with the offset it processed (so a restart neither loses
 * nor repeats a task start). Every input is handled one at a time, in arrival order.
 */
export class Scheduler {
  readonly #o: Required<Omit<SchedulerOptions, 'server'>> & { server: string };
  readonly #store: MetadataStore;
  readonly #executor: LocalTaskExecutor;
  readonly #sandbox: ConditionSandbox;
  readonly #index = new RuleIndex();
  readonly #live = new Map<number, LiveExecution>();
  readonly #byTaskExecution = new Map<number, { execution: LiveExecution; task: string }>();
  readonly #timers = new Map<number, { timer: TimerRecord; handle: unknown }>();
  /** Workflows, snapshots, schedules and triggers (the request handlers change them through it). */
  readonly catalog: WorkflowCatalog;
  #ids: Recovery['nextIds'] = { workflowExecution: 1, taskExecution: 1, timer: 1, outbox: 1 };
  #queue: Promise<unknown> = Promise.resolve();
  #work: Work | null = null;
  #events: AIFlowNotificationClient | null = null;
  #connection: SchedulerConnection | null = null;
  readonly #statuses: StatusPublisher;
  #closing: Promise<void> | undefined;

  private constructor(options: SchedulerOptions) {
    this.#o = {
      server: options.server ?? DEFAULT_SERVER_URL,
      parallelism: 10,
      stopGraceMs: 10_000,
      conditionTimeoutMs: 2_000,
      ...options,
      // Timers of any length: an injected clock's too (a delay past 2^31-1 ms is armed in steps).
      clock: steppedTimers(options.clock ?? SYSTEM_CLOCK),
    };
    this.#store = options.store;
    this.#executor = new LocalTaskExecutor({
      dataDir: `${options.dataDir}/tasks`,
      parallelism: this.#o.parallelism,
      stopGraceMs: this.#o.stopGraceMs,
    });
    this.#sandbox = new ConditionSandbox(this.#o.conditionTimeoutMs);
    this.#statuses = new StatusPublisher(this.#store, this.#o.logger);
    this.catalog = new WorkflowCatalog(this.#store, this.#o.clock, (workflowId) =>
      this.#enqueue(() => this.#onSchedule(workflowId)),
    );
  }

  static async start(options: SchedulerOptions): Promise<Scheduler> {
    const scheduler = new Scheduler(options);
    try {
      await scheduler.#start();
    } catch (error) {
      await scheduler.close();
      throw error;
    }
    return scheduler;
  }

  get store(): MetadataStore {
    return this.#store;
  }

  async #start(): Promise<void> {
    this.#executor.on('started', ({ taskExecutionId, pid }) =>
      this.#enqueue(() => this.#onTaskStarted(taskExecutionId, pid)),
    );
    this.#executor.on('finished', (end) => this.#enqueue(() => this.#onTaskFinished(end)));
    // Listeners first: adopted tasks may report as soon as they are adopted.
    const recovery = await this.#store.loadRecovery();
    // First in line: status events committed by the previous run but not yet published.
    void this.#statuses.publish(recovery.outbox);
    await this.catalog.load(recovery);
    this.#recover(recovery);
    this.#connection = await SchedulerConnection.connect(this.#o.server, this.#o.token, (method, params) =>
      this.#enqueue(() => this.handleRequest(method, params)),
    );
    await this.#statuses.attach(this.#connection);
    this.#events = await AIFlowNotificationClient.connect({
      server: this.#o.server,
      clientId: `aiflow-scheduler-events-${process.pid}`,
      sender: SCHEDULER_USERNAME,
      credentials: { username: SCHEDULER_USERNAME, password: this.#o.token },
    });
    this.#events.on('listenerError', (error) =>
      this.#o.logger.error('event processing failed', { reason: toAIFlowError(error).message }),
    );
    await this.#events.registerListener(
      { process: (events) => this.#enqueue(() => this.#onEvents(events)) },
      { allNamespaces: true, beginOffset: recovery.checkpoint },
    );
    await this.catalog.startSchedules();
    this.#o.logger.info('scheduler running', {
      executions: this.#live.size,
      checkpoint: recovery.checkpoint,
    });
  }

  /** Serialises every input: one is fully processed and committed before the next starts. */
  #enqueue<T>(input: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(input);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Runs one input: collects its writes and effects, commits them at once, then performs the effects. */
  async #transact<T>(body: (work: Work) => Promise<T> | T, checkpoint?: number): Promise<T> {
    const work: Work = { uow: emptyUnitOfWork(), effects: [] };
    this.#work = work;
    let result: T;
    try {
      result = await body(work);
      if (checkpoint !== undefined) work.uow.checkpoint = checkpoint;
      await this.#store.commit(work.uow);
    } catch (error) {
      // All or nothing: the memory may hold part of what was not committed; rebuild it from the store.
      if (changedAnything(work)) await this.#reload();
      throw error;
    } finally {
      this.#work = null;
    }
    for (const effect of work.effects) effect();
    if (work.uow.outbox.length > 0) void this.#statuses.publish(work.uow.outbox);
    return result;
  }

  /** Drops the in-memory state and restores it from the store, as a restart would (task processes are kept). */
  async #reload(): Promise<void> {
    this.#work = null;
    for (const { handle } of this.#timers.values()) this.#o.clock.clearTimeout(handle);
    this.#timers.clear();
    for (const execution of this.#live.values()) {
      execution.actor.stop();
      for (const slot of execution.latest.values()) slot.actor?.stop();
    }
    this.#live.clear();
    this.#byTaskExecution.clear();
    this.#retired.clear();
    this.#index.clear();
    const recovery = await this.#store.loadRecovery();
    this.catalog.loadTriggerStates(recovery.states);
    this.#recover(recovery);
    this.#o.logger.warn('scheduler state reloaded from the store after a failed input');
  }

  #current(): Work {
    if (!this.#work) throw new AIFlowError('INTERNAL', 'scheduler change outside of a unit of work');
    return this.#work;
  }

  // ---- events ----

  async #onEvents(events: Event[]): Promise<void> {
    for (const event of events) {
      try {
        await this.#transact((work) => this.#route(event, work), event.offset);
      } catch (error) {
        // Recorded, never silently dropped: stored with its reason, and the offset is committed so that one bad
        // event cannot block the rest. Nothing of its own unit of work was written.
        const reason = toAIFlowError(error).message;
        this.#o.logger.error('event failed', { offset: event.offset, key: event.key, reason });
        await this.#store.commit({
          ...emptyUnitOfWork(),
          checkpoint: event.offset,
          failedEvent: { offset: event.offset, key: event.key, reason },
        });
      }
    }
  }

  async #route(event: Event, work: Work): Promise<void> {
    const contextId = contextWorkflowExecutionId(event.context);
    // Targets are fixed before triggers run: an execution a trigger starts does not see the event that started it.
    const targets = contextId !== undefined ? [contextId] : this.#index.lookup(event.namespace, event.key);
    await this.#fireTriggers(event);
    for (const id of targets) {
      const execution = this.#live.get(id);
      // Events never cross namespaces, and only running executions react.
      if (!execution || execution.record.namespace !== event.namespace) continue;
      if (execution.actor.getSnapshot().value !== 'running') continue;
      this.#observe(execution, event);
      await this.#evaluate(execution, event);
      if (event.key.startsWith('$task/')) this.#settle(execution, work);
    }
  }

  /** Records a task status event of this execution's latest task execution (older runs' late events are ignored). */
  #observe(execution: LiveExecution, event: Event): void {
    if (!event.key.startsWith('$task/') || event.context === null) return;
    const context = JSON.parse(event.context) as Partial<TaskStatusContext>;
    if (context.task === undefined || context.status === undefined) return;
    if (execution.latest.get(context.task)?.record.id !== context.taskExecutionId) return;
    execution.observed.set(context.task, context.status);
    this.#current().uow.states.push({
      scope: execution.stateScope,
      name: OBSERVED_STATE,
      value: Object.fromEntries(execution.observed),
    });
  }

  /** Workflow triggers match on namespace and key only; per workflow, the first trigger met starts one execution. */
  async #fireTriggers(event: Event): Promise<void> {
    const matching = this.catalog.activeTriggers(event.namespace, event.key);
    for (const [workflow, triggers] of matching) {
      const snapshot = this.catalog.cachedSnapshot(workflow.snapshotId);
      if (!snapshot) continue;
      const scope = this.#triggerScope(workflow, snapshot);
      for (const trigger of triggers) {
        if (!(await isMet(trigger.condition, event, scope))) continue;
        this.#createExecution(workflow, snapshot, 'trigger');
        break;
      }
    }
  }

  /** Trigger conditions keep their state per workflow, shared by all its triggers. */
  #triggerScope(workflow: WorkflowRecord, snapshot: SnapshotRecord): EvaluationScope {
    return this.#scope({
      workflow: workflow.name,
      snapshot,
      stateScope: this.catalog.triggerStateScope(workflow.id),
      state: this.catalog.triggerState(workflow.id),
      taskStatus: () => undefined,
      label: `workflow ${workflow.name}`,
    });
  }

  /** Every task is considered independently; within a task, the first matching rule that fires wins. */
  async #evaluate(execution: LiveExecution, event: Event): Promise<void> {
    const scope = this.#executionScope(execution);
    for (const task of execution.spec.tasks) {
      for (const rule of task.rules) {
        const keys = new Set(
          expectedKeysOf(rule.condition, (name) => taskStatusKey(execution.spec.name, name)),
        );
        if (!keys.has(event.key)) continue;
        if (!(await isMet(rule.condition, event, scope))) continue;
        if (rule.action === 'start') this.#startTask(execution, task);
        else if (rule.action === 'stop') this.#stopTask(execution, task.name);
        else this.#restartTask(execution, task);
        break;
      }
    }
  }

  #executionScope(execution: LiveExecution): EvaluationScope {
    return this.#scope({
      workflow: execution.spec.name,
      snapshot: execution.snapshot,
      stateScope: execution.stateScope,
      state: execution.state,
      taskStatus: (task) => execution.observed.get(task),
      label: `execution ${execution.record.id}`,
    });
  }

  #scope(target: ScopeTarget): EvaluationScope {
    return conditionScope(target, {
      sandbox: this.#sandbox,
      dataDir: this.#o.dataDir,
      logger: this.#o.logger,
      recordState: (scope, name, value) => this.#current().uow.states.push({ scope, name, value }),
    });
  }

  // ---- task actions ----

  /** START: nothing if the task has a live execution (stopping included, SPEC §3.6); otherwise a new one. */
  #startTask(execution: LiveExecution, task: TaskSpec): void {
    if (execution.actor.getSnapshot().value !== 'running' || execution.isTaskLive(task.name)) return;
    this.#newTaskExecution(execution, task);
  }

  /** STOP: stops the live execution; a task that never ran is left alone (SPEC §3.4). */
  #stopTask(execution: LiveExecution, task: string): void {
    const slot = execution.latest.get(task);
    if (slot?.actor && execution.isTaskLive(task)) this.#sendTask(execution, slot, { type: 'task.stop' });
  }

  /**
   * RESTART: stops the live execution, if any, and starts a new one at once; the old one stays `stopping` until
   * its process has exited, and its final report is still recorded.
   */
  #restartTask(execution: LiveExecution, task: TaskSpec): void {
    if (execution.actor.getSnapshot().value !== 'running') return;
    this.#stopTask(execution, task.name);
    const previous = execution.latest.get(task.name);
    if (previous?.actor) this.#retired.set(previous.record.id, previous);
    this.#newTaskExecution(execution, task);
  }

  #newTaskExecution(execution: LiveExecution, task: TaskSpec): void {
    const previous = execution.latest.get(task.name);
    // A finished execution that is no longer the latest will never be looked up again.
    if (previous && !previous.actor) this.#byTaskExecution.delete(previous.record.id);
    const record: TaskExecutionRecord = {
      id: this.#ids.taskExecution++,
      workflowExecutionId: execution.record.id,
      task: task.name,
      sequence: (previous?.record.sequence ?? 0) + 1,
      attempt: 1,
      status: 'init',
      pid: null,
      beginTime: this.#o.clock.now(),
      endTime: null,
      reason: null,
    };
    // The previous run's statuses no longer describe the task; the new run's events will.
    execution.observed.delete(task.name);
    const slot: TaskSlot = { record, actor: this.#taskActor(record, task) };
    execution.latest.set(task.name, slot);
    this.#byTaskExecution.set(record.id, { execution, task: task.name });
    this.#current().uow.taskExecutions.push({ ...record });
    this.#sendTask(execution, slot, { type: 'task.queue' });
  }

  /** Older task executions replaced by a RESTART, kept until their process has reported. */
  readonly #retired = new Map<number, TaskSlot>();

  /**
   * The task execution machine with this scheduler's side effects, built once: a machine per task execution
   * (`provide` copies it) would cost about 20 KB each.
   */
  readonly #taskMachine = taskExecutionMachine.provide({
    actions: {
      submit: ({ context }) =>
        this.#withTask(context.taskExecutionId, (execution, task) =>
          this.#submit(execution, context.taskExecutionId, task, context.attempt),
        ),
      stopProcess: ({ context }) => {
        const id = runId(context.taskExecutionId, context.attempt);
        this.#current().effects.push(() => void this.#executor.stop(id));
      },
      scheduleRetry: ({ context }) =>
        this.#withTask(context.taskExecutionId, (_, task) =>
          this.#scheduleRetry(context.taskExecutionId, task, context.attempt),
        ),
      cancelRetry: ({ context }) => this.#cancelRetry(context.taskExecutionId),
    },
  });

  #withTask(taskExecutionId: number, use: (execution: LiveExecution, task: TaskSpec) => void): void {
    const found = this.#byTaskExecution.get(taskExecutionId);
    const task = found?.execution.task(found.task);
    if (found && task) use(found.execution, task);
  }

  /** The actor of one task execution; `restoreFrom` resumes a stored one in its status (no entry action replayed). */
  #taskActor(record: TaskExecutionRecord, task: TaskSpec, restoreFrom?: TaskExecutionRecord) {
    const input = { taskExecutionId: record.id, maxRetries: task.retry.maxRetries };
    const snapshot =
      restoreFrom &&
      this.#taskMachine.resolveState({
        value: restoreFrom.status,
        context: { ...input, attempt: restoreFrom.attempt, reason: restoreFrom.reason },
      });
    return createActor(this.#taskMachine, snapshot ? { snapshot, input } : { input }).start();
  }

  #submit(execution: LiveExecution, taskExecutionId: number, task: TaskSpec, attempt: number): void {
    const sequence = this.#slotOf(taskExecutionId)?.record.sequence ?? 1;
    const request = taskRequest(
      execution,
      task,
      { taskExecutionId, sequence, attempt },
      { url: this.#o.server, dataDir: this.#o.dataDir },
    );
    this.#current().effects.push(() => {
      this.#executor.submit(request).catch((error: unknown) => {
        // The task cannot start (bad spec, closed executor): it fails like any task, so its rules can react.
        void this.#enqueue(() =>
          this.#onTaskFinished({
            taskExecutionId: request.taskExecutionId,
            status: 'failed',
            reason: toAIFlowError(error).message,
          }),
        );
      });
    });
  }

  #scheduleRetry(taskExecutionId: number, task: TaskSpec, attempt: number): void {
    const dueTime = this.#o.clock.now() + task.retry.backoffMs * 2 ** (attempt - 1);
    this.#addTimer({ id: this.#ids.timer++, dueTime, kind: 'retry', taskExecutionId });
  }

  #cancelRetry(taskExecutionId: number): void {
    this.#cancelTimers((t) => t.kind === 'retry' && t.taskExecutionId === taskExecutionId);
  }

  /** The next tick of a periodic task, from now. */
  #schedulePeriodic(execution: LiveExecution, task: TaskSpec): void {
    if (task.periodic === null) return;
    const dueTime = nextRunTime(parseScheduleExpression(task.periodic), this.#o.clock.now());
    if (dueTime === null) return;
    this.#addTimer({
      id: this.#ids.timer++,
      dueTime,
      kind: 'periodic',
      workflowExecutionId: execution.record.id,
      task: task.name,
    });
  }

  #addTimer(timer: TimerRecord): void {
    this.#current().uow.timers.push(timer);
    this.#current().effects.push(() => this.#arm(timer));
  }

  #cancelTimers(match: (timer: TimerRecord) => boolean): void {
    for (const [id, armed] of this.#timers) {
      if (!match(armed.timer)) continue;
      this.#current().uow.deletedTimers.push(id);
      this.#current().effects.push(() => {
        this.#o.clock.clearTimeout(armed.handle);
        this.#timers.delete(id);
      });
    }
  }

  /** Arms a stored timer; when due it is fed back as an input (and deleted in the same unit of work). */
  #arm(timer: TimerRecord): void {
    const handle = this.#o.clock.setTimeout(
      () =>
        void this.#enqueue(() =>
          this.#transact((work) => {
            if (!this.#timers.has(timer.id)) return;
            this.#timers.delete(timer.id);
            work.uow.deletedTimers.push(timer.id);
            this.#onTimer(timer);
          }),
        ),
      Math.max(0, timer.dueTime - this.#o.clock.now()),
    );
    this.#timers.set(timer.id, { timer, handle });
  }

  #onTimer(timer: TimerRecord): void {
    if (timer.kind === 'retry') {
      const found = this.#byTaskExecution.get(timer.taskExecutionId);
      const slot = this.#slotOf(timer.taskExecutionId);
      if (found && slot) this.#sendTask(found.execution, slot, { type: 'task.retryDue' });
      return;
    }
    // A periodic tick restarts the task while its execution runs, then waits for the next tick.
    const execution = this.#live.get(timer.workflowExecutionId);
    const task = execution?.task(timer.task);
    if (!execution || !task || execution.actor.getSnapshot().value !== 'running') return;
    this.#restartTask(execution, task);
    this.#schedulePeriodic(execution, task);
  }

  /** Sends an event to a task execution's actor and records what changed (status, status event, settlement). */
  #sendTask(execution: LiveExecution, slot: TaskSlot, event: TaskExecutionEvent): void {
    if (!slot.actor) return;
    const before = slot.record.status;
    slot.actor.send(event);
    const snapshot = slot.actor.getSnapshot();
    const status = snapshot.value as TaskStatus;
    const changed = status !== before || snapshot.context.attempt !== slot.record.attempt;
    if (!changed) return;
    const finished = FINISHED_TASK_STATUSES.has(status);
    slot.record = {
      ...slot.record,
      status,
      attempt: snapshot.context.attempt,
      reason: snapshot.context.reason,
      endTime: finished ? this.#o.clock.now() : null,
    };
    if (finished) {
      slot.actor.stop();
      slot.actor = null;
    }
    const work = this.#current();
    work.uow.taskExecutions.push({ ...slot.record });
    if (status !== before) this.#emitTaskStatus(execution, slot.record);
  }

  #emitTaskStatus(execution: LiveExecution, record: TaskExecutionRecord): void {
    const context: TaskStatusContext = {
      workflowExecutionId: execution.record.id,
      workflow: execution.spec.name,
      task: record.task,
      taskExecutionId: record.id,
      sequence: record.sequence,
      status: record.status,
      ...(record.reason ? { reason: record.reason } : {}),
    };
    this.#outbox(
      execution.record.namespace,
      taskStatusKey(execution.spec.name, record.task),
      record.status,
      context,
    );
  }

  #outbox(namespace: string, key: string, value: string, context: object): void {
    this.#current().uow.outbox.push({
      id: this.#ids.outbox++,
      eventId: randomUUID(),
      namespace,
      key,
      value,
      context: JSON.stringify(context),
    });
  }

  #slotOf(taskExecutionId: number): TaskSlot | undefined {
    const found = this.#byTaskExecution.get(taskExecutionId);
    const slot = found?.execution.latest.get(found.task);
    if (slot?.record.id === taskExecutionId) return slot;
    return this.#retired.get(taskExecutionId);
  }

  // ---- executor reports ----

  async #onTaskStarted(id: number, pid: number): Promise<void> {
    const { taskExecutionId, attempt } = fromRunId(id);
    await this.#transact((work) => {
      const found = this.#byTaskExecution.get(taskExecutionId);
      const slot = this.#slotOf(taskExecutionId);
      if (!found || !slot || slot.record.attempt !== attempt) return;
      slot.record = { ...slot.record, pid };
      work.uow.taskExecutions.push({ ...slot.record });
      this.#sendTask(found.execution, slot, { type: 'task.started' });
    });
  }

  async #onTaskFinished(end: { taskExecutionId: number; status: string; reason: string }): Promise<void> {
    const { taskExecutionId, attempt } = fromRunId(end.taskExecutionId);
    await this.#transact(() => {
      const found = this.#byTaskExecution.get(taskExecutionId);
      const slot = this.#slotOf(taskExecutionId);
      if (!found || !slot || slot.record.attempt !== attempt) return;
      const event: TaskExecutionEvent =
        end.status === 'success'
          ? { type: 'task.succeeded' }
          : end.status === 'stopped'
            ? { type: 'task.stopped', reason: end.reason }
            : { type: 'task.failed', reason: end.reason };
      this.#sendTask(found.execution, slot, event);
      if (!slot.actor && this.#retired.delete(taskExecutionId)) this.#byTaskExecution.delete(taskExecutionId);
      this.#forgetIfDone(found.execution);
    });
    crashPoint('after-status-commit'); // fault injection for tests; a no-op otherwise
  }

  // ---- workflow executions ----

  /** Starts an execution on the workflow's current snapshot (manual start or schedule). */
  async startExecution(workflow: WorkflowRecord, runType: RunType): Promise<number> {
    const snapshot = await this.catalog.snapshot(workflow.snapshotId);
    return this.#transact(() => this.#createExecution(workflow, snapshot, runType).record.id);
  }

  /** A schedule fired: a disabled workflow does not run on its schedules (SPEC §3.7). */
  async #onSchedule(workflowId: number): Promise<void> {
    const workflow = this.catalog.workflow(workflowId);
    if (!workflow?.enabled) return;
    await this.startExecution(workflow, 'schedule');
  }

  /** Creates a running execution pinned to `snapshot` and starts its unconditional tasks (SPEC §2.1). */
  #createExecution(workflow: WorkflowRecord, snapshot: SnapshotRecord, runType: RunType): LiveExecution {
    const work = this.#current();
    const record = {
      id: this.#ids.workflowExecution++,
      workflowId: workflow.id,
      snapshotId: snapshot.id,
      namespace: workflow.namespace,
      workflow: workflow.name,
      status: 'running' as const,
      runType,
      beginTime: this.#o.clock.now(),
      endTime: null,
    };
    const execution = this.#liveExecution(record, snapshot);
    work.uow.workflowExecutions.push({ ...record });
    this.#emitExecutionStatus(execution);
    for (const task of execution.spec.tasks) {
      if (!task.rules.some((r) => r.action === 'start')) this.#startTask(execution, task);
      this.#schedulePeriodic(execution, task);
    }
    this.#settle(execution, work);
    return execution;
  }

  stopExecution(id: number): Promise<void> {
    return this.#transact(() => {
      const execution = this.#live.get(id);
      if (!execution) throw new AIFlowError('CONFLICT', `workflow execution ${id} is not running`);
      execution.actor.send({ type: 'execution.stop' });
    });
  }

  startTask(executionId: number, taskName: string): Promise<number> {
    return this.#transact(() => {
      const execution = this.#requireLive(executionId);
      const task = execution.task(taskName);
      if (!task)
        throw new AIFlowError('NOT_FOUND', `task ${taskName} is not in workflow ${execution.spec.name}`);
      if (execution.isTaskLive(taskName)) {
        throw new AIFlowError('CONFLICT', `task ${taskName} already has a live execution`);
      }
      this.#startTask(execution, task);
      return execution.latest.get(taskName)!.record.id;
    });
  }

  stopTask(executionId: number, taskName: string): Promise<void> {
    return this.#transact(() => {
      const execution = this.#requireLive(executionId);
      if (!execution.task(taskName)) {
        throw new AIFlowError('NOT_FOUND', `task ${taskName} is not in workflow ${execution.spec.name}`);
      }
      if (!execution.isTaskLive(taskName))
        throw new AIFlowError('CONFLICT', `task ${taskName} is not running`);
      this.#stopTask(execution, taskName);
    });
  }

  #requireLive(id: number): LiveExecution {
    const execution = this.#live.get(id);
    if (!execution) throw new AIFlowError('CONFLICT', `workflow execution ${id} is not running`);
    return execution;
  }

  /** The workflow execution machine with this scheduler's side effects, built once (see `#taskMachine`). */
  readonly #executionMachine = workflowExecutionMachine.provide({
    actions: {
      stopTasks: ({ context }) => {
        const execution = this.#live.get(context.workflowExecutionId);
        for (const task of execution?.spec.tasks ?? []) this.#stopTask(execution!, task.name);
      },
      ended: ({ context }, { status }) => {
        const execution = this.#live.get(context.workflowExecutionId);
        if (execution) this.#ended(execution, status);
      },
    },
  });

  #liveExecution(record: LiveExecution['record'], snapshot: SnapshotRecord, restored = false): LiveExecution {
    const input = { workflowExecutionId: record.id };
    const actor = restored
      ? createActor(this.#executionMachine, {
          input,
          snapshot: this.#executionMachine.resolveState({ value: 'running', context: input }),
        })
      : createActor(this.#executionMachine, { input });
    const execution: LiveExecution = new LiveExecution(record, snapshot, actor);
    this.#live.set(record.id, execution);
    this.#index.add(record.id, record.namespace, execution.expectedKeys());
    actor.start();
    return execution;
  }

  #ended(execution: LiveExecution, status: 'success' | 'failed' | 'stopped'): void {
    const record = { ...execution.record, status, endTime: this.#o.clock.now() };
    Object.assign(execution.record, record);
    const work = this.#current();
    work.uow.workflowExecutions.push(record);
    this.#emitExecutionStatus(execution);
    this.#cancelTimers((t) => t.kind === 'periodic' && t.workflowExecutionId === record.id);
    this.#index.remove(record.id, record.namespace, execution.expectedKeys());
    work.effects.push(() => this.#forgetIfDone(execution));
  }

  /** A finished execution leaves memory once its last task process has reported (a stop takes a moment). */
  #forgetIfDone(execution: LiveExecution): void {
    if (execution.actor.getSnapshot().value === 'running') return;
    if ([...execution.latest.keys()].some((t) => execution.isTaskLive(t))) return;
    this.#live.delete(execution.record.id);
    for (const slot of execution.latest.values()) this.#byTaskExecution.delete(slot.record.id);
  }

  #emitExecutionStatus(execution: LiveExecution): void {
    const context: WorkflowStatusContext = {
      workflowExecutionId: execution.record.id,
      workflow: execution.spec.name,
      status: execution.record.status,
    };
    this.#outbox(
      execution.record.namespace,
      workflowStatusKey(execution.spec.name),
      execution.record.status,
      context,
    );
  }

  #settle(execution: LiveExecution, _work: Work): void {
    if (execution.actor.getSnapshot().value !== 'running') return;
    const outcome = execution.settledOutcome();
    if (outcome) execution.actor.send({ type: 'execution.settled', outcome });
  }

  // ---- recovery ----

  #recover(recovery: Recovery): void {
    this.#ids = recovery.nextIds;
    for (const record of recovery.runningExecutions) {
      const snapshot = this.catalog.cachedSnapshot(record.snapshotId);
      if (!snapshot) continue;
      const execution = this.#liveExecution(record, snapshot, true);
      for (const state of recovery.states.filter((s) => s.scope === execution.stateScope)) {
        if (state.name === OBSERVED_STATE) {
          for (const [task, status] of Object.entries(state.value as Record<string, TaskStatus>)) {
            execution.observed.set(task, status);
          }
        } else execution.state.set(state.name, state.value);
      }
      const tasks = recovery.taskExecutions.filter((t) => t.workflowExecutionId === record.id);
      for (const te of tasks) {
        const previous = execution.latest.get(te.task);
        if (previous && previous.record.sequence > te.sequence) continue;
        const task = execution.task(te.task);
        const live = !FINISHED_TASK_STATUSES.has(te.status) && task !== undefined;
        const slot: TaskSlot = {
          record: te,
          actor: live ? this.#taskActor(te, task, te) : null,
        };
        execution.latest.set(te.task, slot);
        this.#byTaskExecution.set(te.id, { execution, task: te.task });
      }
    }
    // Tasks that were running keep running across a graceful restart: re-attach to them.
    const adopt = [...this.#live.values()].flatMap((e) =>
      [...e.latest.values()]
        .filter((s) => s.actor && s.record.pid !== null && ['running', 'stopping'].includes(s.record.status))
        .map((s) => ({
          taskExecutionId: runId(s.record.id, s.record.attempt),
          pid: s.record.pid!,
          startTime: s.record.beginTime,
          timeoutMs: e.task(s.record.task)?.timeoutMs ?? null,
        })),
    );
    if (adopt.length > 0) this.#executor.adopt(adopt);
    for (const execution of this.#live.values()) {
      for (const slot of execution.latest.values()) {
        const task = execution.task(slot.record.task);
        if (!task || !slot.actor) continue;
        const id = runId(slot.record.id, slot.record.attempt);
        // Queued but not yet started: hand it to the executor again (it refuses a run it already launched).
        if (slot.record.status === 'queued' && slot.record.pid === null) {
          this.#work = { uow: emptyUnitOfWork(), effects: [] };
          this.#submit(execution, slot.record.id, task, slot.record.attempt);
          for (const effect of this.#work.effects) effect();
          this.#work = null;
        }
        if (slot.record.status === 'stopping') void this.#executor.stop(id);
      }
    }
    for (const timer of recovery.timers) this.#arm(timer);
  }

  /**
   * Stops consuming and closes every connection. Task processes keep running (the next start adopts them)
   * unless `stopTasks` is set. Idempotent.
   */
  close(options: { stopTasks?: boolean } = {}): Promise<void> {
    this.#closing ??= (async () => {
      await this.#events?.close().catch(() => undefined);
      await this.#queue.catch(() => undefined);
      for (const { handle } of this.#timers.values()) this.#o.clock.clearTimeout(handle);
      this.#timers.clear();
      this.catalog.close();
      this.#statuses.close();
      await this.#connection?.close().catch(() => undefined);
      this.#sandbox.close();
      await this.#executor.close({ stopTasks: options.stopTasks === true });
      for (const execution of this.#live.values()) {
        execution.actor.stop();
        for (const slot of execution.latest.values()) slot.actor?.stop();
      }
    })();
    return this.#closing;
  }

  /**
   * The live execution, if it is still in memory.
   * @internal Left out of the published declarations: its type is XState's, whose declarations fail a consumer's
   *   `exactOptionalPropertyTypes`.
   */
  liveExecution(id: number): LiveExecution | undefined {
    return this.#live.get(id);
  }

  get dataDir(): string {
    return this.#o.dataDir;
  }

  /** Log files of a task execution, one per attempt. */
  logFiles(taskExecutionId: number, attempts: number): string[] {
    return Array.from({ length: attempts }, (_, i) =>
      logPath(`${this.#o.dataDir}/tasks`, runId(taskExecutionId, i + 1)),
    );
  }

  /** Requests forwarded by the broker; implemented in `requests.ts`. */
  handleRequest(method: string, params: Record<string, unknown>): Promise<unknown> {
    return handleSchedulerRequest(this, method, params);
  }
}
