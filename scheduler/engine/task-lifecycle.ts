import { toAIFlowError } from '../../protocol/errors.ts';
import { FINISHED_TASK_STATUSES, type TaskStatus } from '../../protocol/status.ts';
import { taskStatusKey, type TaskStatusContext } from '../../protocol/status-events.ts';
import {
  causeRef,
  type TaskActionCause,
  type TaskActionCauseRef,
  type TaskActionInfo,
  type TaskActionName,
} from '../../protocol/task-actions.ts';
import type { TaskSpec } from '../../workflow/spec.ts';
import type { Clock } from '../clock.ts';
import type { LiveExecution, TaskSlot } from '../execution.ts';
import { taskExecutionMachine, type TaskExecutionEvent } from '../machines/task-execution.machine.ts';
import { MachineActor } from '../machines/machine-actor.ts';
import { STOPPED_BEFORE_START, timeoutReason } from '../executor/outcome.ts';
import type { TaskExecutionRecord } from '../store/records.ts';
import { fromRunId, runId, taskRequest } from '../task-request.ts';
import type { EngineState } from './engine-state.ts';
import type { TaskRunner } from './ports.ts';
import type { TaskServer } from '../task-request.ts';
import type { EngineTimers } from './timers.ts';

/** How a task process ended, as the executor reports it. */
export interface TaskEnd {
  taskExecutionId: number;
  status: string;
  reason: string;
}

export interface TaskLifecycleDeps {
  state: EngineState;
  timers: EngineTimers;
  runner: TaskRunner;
  clock: Clock;
  server: TaskServer;
  /** A task that cannot start fails like any task: its end is fed back as an input. */
  failedToStart: (end: TaskEnd) => void;
  /** A task execution of `execution` reached a final status. */
  ended: (execution: LiveExecution) => void;
}

/**
 * START, STOP and RESTART of task executions, their actors, and the executor's reports about them. Every action
 * taken is recorded with its cause in the same unit of work; an action that changes nothing (START of a live task,
 * STOP of a finished one) is not an action and leaves no record.
 */
export class TaskLifecycle {
  readonly #d: TaskLifecycleDeps;

  constructor(deps: TaskLifecycleDeps) {
    this.#d = deps;
  }

  /** START: nothing if the task has a live execution (stopping included, SPEC §3.6); otherwise a new one. */
  start(execution: LiveExecution, task: TaskSpec, cause: TaskActionCause): void {
    if (execution.actor.getSnapshot().value !== 'running' || execution.isTaskLive(task.name)) return;
    this.#newTaskExecution(execution, task, 'start', cause);
  }

  /**
   * STOP: stops the live execution; a task that never ran is left alone (SPEC §3.4). A try still waiting for a free
   * process slot is taken back from the executor and is stopped at once: it has no process to wait for.
   */
  stop(execution: LiveExecution, task: string, cause: TaskActionCause): void {
    const slot = execution.latest.get(task);
    // A stopping one is already being stopped: a second STOP changes nothing, and is no action.
    if (!slot?.actor || !execution.isTaskLive(task) || slot.record.status === 'stopping') return;
    const action = this.recordAction(slot, 'stop', cause);
    // Taken back before the commit: if this input is undone, the reload finds the try queued and submits it again.
    const withdrawn =
      slot.record.status === 'queued' && this.#d.runner.withdraw(runId(slot.record.id, slot.record.attempt));
    const event: TaskExecutionEvent = withdrawn
      ? { type: 'task.stopped', reason: STOPPED_BEFORE_START }
      : { type: 'task.stop' };
    this.send(execution, slot, event, action);
  }

  /**
   * RESTART: stops the live execution, if any, and starts a new one at once; the old one stays `stopping` until
   * its process has exited, and its final report is still recorded.
   */
  restart(execution: LiveExecution, task: TaskSpec, cause: TaskActionCause): void {
    if (execution.actor.getSnapshot().value !== 'running') return;
    this.stop(execution, task.name, cause);
    const previous = execution.latest.get(task.name);
    if (previous?.actor) this.#d.state.retired.set(previous.record.id, previous);
    this.#newTaskExecution(execution, task, 'restart', cause);
  }

  /** A retry's back-off has passed: the next try is queued. */
  retryDue(execution: LiveExecution, slot: TaskSlot): void {
    if (slot.record.status !== 'retrying') return;
    const attempt = slot.record.attempt + 1;
    const maxRetries = execution.task(slot.record.task)?.retry.maxRetries ?? 0;
    const cause = this.recordAction(slot, 'start', { kind: 'retry', attempt, maxRetries }, attempt);
    this.send(execution, slot, { type: 'task.retryDue' }, cause);
  }

  /** Records an action on a task execution with its cause, in the current unit of work. */
  recordAction(
    slot: TaskSlot,
    action: TaskActionName,
    cause: TaskActionCause,
    attempt = slot.record.attempt,
  ): TaskActionCauseRef {
    const state = this.#d.state;
    const info: TaskActionInfo = {
      id: state.ids.taskAction++,
      taskExecutionId: slot.record.id,
      action,
      attempt,
      cause,
      time: this.#d.clock.now(),
    };
    state.current().uow.taskActions.push(info);
    return causeRef(info);
  }

  /** The executor spawned a try: its pid is recorded (for adoption after a restart). */
  started(id: number, pid: number): void {
    const { taskExecutionId, attempt } = fromRunId(id);
    const found = this.#d.state.byTaskExecution.get(taskExecutionId);
    const slot = this.#d.state.slotOf(taskExecutionId);
    if (!found || !slot || slot.record.attempt !== attempt) return;
    slot.record = { ...slot.record, pid };
    this.#d.state.current().uow.taskExecutions.push({ ...slot.record });
    this.send(found.execution, slot, { type: 'task.started' });
  }

  /** A try's process ended. */
  finished(end: TaskEnd): void {
    const { taskExecutionId, attempt } = fromRunId(end.taskExecutionId);
    const state = this.#d.state;
    const found = state.byTaskExecution.get(taskExecutionId);
    const slot = state.slotOf(taskExecutionId);
    if (!found || !slot || slot.record.attempt !== attempt) return;
    const cause = this.#timedOut(found.execution, slot, end)
      ? this.recordAction(slot, 'stop', {
          kind: 'timeout',
          timeoutMs: found.execution.task(found.task)!.timeoutMs!,
        })
      : undefined;
    const event: TaskExecutionEvent =
      end.status === 'success'
        ? { type: 'task.succeeded' }
        : end.status === 'stopped'
          ? { type: 'task.stopped', reason: end.reason }
          : { type: 'task.failed', reason: end.reason };
    this.send(found.execution, slot, event, cause);
    if (!slot.actor && state.retired.delete(taskExecutionId)) state.byTaskExecution.delete(taskExecutionId);
  }

  /**
   * Sends an event to a task execution's actor and records what changed (status, status event); a final status is
   * reported to the execution. `cause`: the action that sent it, named in the status event it leads to.
   */
  send(
    execution: LiveExecution,
    slot: TaskSlot,
    event: TaskExecutionEvent,
    cause?: TaskActionCauseRef,
  ): void {
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
      endTime: finished ? this.#d.clock.now() : null,
    };
    if (finished) {
      slot.actor.stop();
      slot.actor = null;
    }
    this.#d.state.current().uow.taskExecutions.push({ ...slot.record });
    if (status !== before) this.#emitStatus(execution, slot.record, cause);
    if (finished) this.#d.ended(execution);
  }

  /** The executor killed a try of its own accord because it outran the task's time-out (not a STOP). */
  #timedOut(execution: LiveExecution, slot: TaskSlot, end: TaskEnd): boolean {
    const timeoutMs = execution.task(slot.record.task)?.timeoutMs ?? null;
    return (
      timeoutMs !== null &&
      end.status === 'failed' &&
      end.reason === timeoutReason(timeoutMs) &&
      (slot.record.status === 'running' || slot.record.status === 'queued')
    );
  }

  /** The actor of one task execution; `restoreFrom` resumes a stored one in its status (no entry action replayed). */
  actor(record: TaskExecutionRecord, task: TaskSpec, restoreFrom?: TaskExecutionRecord) {
    const input = { taskExecutionId: record.id, maxRetries: task.retry.maxRetries };
    const snapshot =
      restoreFrom &&
      this.#machine.resolveState({
        value: restoreFrom.status,
        context: { ...input, attempt: restoreFrom.attempt, reason: restoreFrom.reason },
      });
    return new MachineActor(this.#machine, snapshot ? { snapshot, input } : { input }).start();
  }

  /** Hands a try to the executor once the unit of work is committed. */
  submit(execution: LiveExecution, taskExecutionId: number, task: TaskSpec, attempt: number): void {
    const sequence = this.#d.state.slotOf(taskExecutionId)?.record.sequence ?? 1;
    const request = taskRequest(execution, task, { taskExecutionId, sequence, attempt }, this.#d.server);
    this.#d.state.current().effects.push(() => {
      this.#d.runner.submit(request).catch((error: unknown) =>
        this.#d.failedToStart({
          taskExecutionId: request.taskExecutionId,
          status: 'failed',
          reason: toAIFlowError(error).message,
        }),
      );
    });
  }

  /** Asks the executor to stop a try once the unit of work is committed. */
  stopProcess(taskExecutionId: number, attempt: number): void {
    const id = runId(taskExecutionId, attempt);
    this.#d.state.current().effects.push(() => void this.#d.runner.stop(id));
  }

  #newTaskExecution(
    execution: LiveExecution,
    task: TaskSpec,
    action: TaskActionName,
    cause: TaskActionCause,
  ): void {
    const state = this.#d.state;
    const previous = execution.latest.get(task.name);
    // A finished execution that is no longer the latest will never be looked up again.
    if (previous && !previous.actor) state.byTaskExecution.delete(previous.record.id);
    const record: TaskExecutionRecord = {
      id: state.ids.taskExecution++,
      workflowExecutionId: execution.record.id,
      task: task.name,
      sequence: (previous?.record.sequence ?? 0) + 1,
      attempt: 1,
      status: 'init',
      pid: null,
      beginTime: this.#d.clock.now(),
      endTime: null,
      reason: null,
    };
    // The previous run's statuses no longer describe the task; the new run's events will.
    execution.observed.delete(task.name);
    const slot: TaskSlot = { record, actor: this.actor(record, task) };
    execution.latest.set(task.name, slot);
    state.byTaskExecution.set(record.id, { execution, task: task.name });
    state.current().uow.taskExecutions.push({ ...record });
    this.send(execution, slot, { type: 'task.queue' }, this.recordAction(slot, action, cause));
  }

  #emitStatus(execution: LiveExecution, record: TaskExecutionRecord, cause?: TaskActionCauseRef): void {
    const context: TaskStatusContext = {
      workflowExecutionId: execution.record.id,
      workflow: execution.spec.name,
      task: record.task,
      taskExecutionId: record.id,
      sequence: record.sequence,
      status: record.status,
      ...(record.reason ? { reason: record.reason } : {}),
      ...(cause ? { cause } : {}),
    };
    this.#d.state.outbox(
      execution.record.namespace,
      taskStatusKey(execution.spec.name, record.task),
      record.status,
      context,
    );
  }

  #withTask(taskExecutionId: number, use: (execution: LiveExecution, task: TaskSpec) => void): void {
    const found = this.#d.state.byTaskExecution.get(taskExecutionId);
    const task = found?.execution.task(found.task);
    if (found && task) use(found.execution, task);
  }

  /**
   * The task execution machine with the engine's side effects, built once: a machine per task execution
   * (`provide` copies it) would cost about 20 KB each.
   */
  readonly #machine = taskExecutionMachine.provide({
    actions: {
      submit: ({ context }) =>
        this.#withTask(context.taskExecutionId, (execution, task) =>
          this.submit(execution, context.taskExecutionId, task, context.attempt),
        ),
      stopProcess: ({ context }) => this.stopProcess(context.taskExecutionId, context.attempt),
      scheduleRetry: ({ context }) =>
        this.#withTask(context.taskExecutionId, (_, task) =>
          this.#d.timers.scheduleRetry(context.taskExecutionId, task, context.attempt),
        ),
      cancelRetry: ({ context }) => this.#d.timers.cancelRetry(context.taskExecutionId),
    },
  });
}
