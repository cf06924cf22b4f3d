import { workflowStatusKey, type WorkflowStatusContext } from '../../protocol/status-events.ts';
import type { RequestRef, TaskActionCause } from '../../protocol/task-actions.ts';
import type { Clock } from '../clock.ts';
import { LiveExecution } from '../execution.ts';
import { MachineActor } from '../machines/machine-actor.ts';
import { workflowExecutionMachine, type EnteredStatus } from '../machines/workflow-execution.machine.ts';
import type { RunType, SnapshotRecord, WorkflowExecutionRecord, WorkflowRecord } from '../store/records.ts';
import type { EngineState } from './engine-state.ts';
import type { TaskLifecycle } from './task-lifecycle.ts';
import type { EngineTimers } from './timers.ts';

/**
 * Workflow executions from creation to their final status: start of the unconditional tasks, settlement when
 * nothing is left that can run, and an honest stop (`stopping` until the last task process has exited).
 */
export class ExecutionLifecycle {
  readonly #state: EngineState;
  readonly #tasks: TaskLifecycle;
  readonly #timers: EngineTimers;
  readonly #clock: Clock;
  /** The cause of the execution stop being handled: its tasks are stopped with it. */
  #stopCause: TaskActionCause | null = null;

  constructor(state: EngineState, tasks: TaskLifecycle, timers: EngineTimers, clock: Clock) {
    this.#state = state;
    this.#tasks = tasks;
    this.#timers = timers;
    this.#clock = clock;
  }

  /**
   * Creates a running execution pinned to `snapshot` and starts its unconditional tasks (SPEC §2.1); `cause` (the
   * request, schedule or trigger that starts the execution) is theirs too.
   */
  create(
    workflow: WorkflowRecord,
    snapshot: SnapshotRecord,
    runType: RunType,
    cause: TaskActionCause,
  ): LiveExecution {
    const record: WorkflowExecutionRecord = {
      id: this.#state.ids.workflowExecution++,
      workflowId: workflow.id,
      snapshotId: snapshot.id,
      namespace: workflow.namespace,
      workflow: workflow.name,
      status: 'running',
      runType,
      beginTime: this.#clock.now(),
      endTime: null,
    };
    const execution = this.live(record, snapshot);
    this.#state.current().uow.workflowExecutions.push({ ...record });
    this.#emitStatus(execution);
    for (const task of execution.spec.tasks) {
      if (!task.rules.some((r) => r.action === 'start')) this.#tasks.start(execution, task, cause);
      this.#timers.schedulePeriodic(execution, task);
    }
    this.settle(execution);
    return execution;
  }

  /** Brings an execution into memory: its actor (resumed in its stored status) and its rule index entries. */
  live(record: WorkflowExecutionRecord, snapshot: SnapshotRecord): LiveExecution {
    const input = { workflowExecutionId: record.id };
    const actor =
      record.status === 'running' || record.status === 'init'
        ? new MachineActor(this.#machine, { input })
        : new MachineActor(this.#machine, {
            input,
            snapshot: this.#machine.resolveState({ value: record.status, context: input }),
          });
    const execution = new LiveExecution(record, snapshot, actor);
    this.#state.live.set(record.id, execution);
    if (this.#isRunning(execution))
      this.#state.index.add(record.id, record.namespace, execution.expectedKeys());
    actor.start();
    return execution;
  }

  /** Stops a running execution (a stopping one is left as it is). */
  stop(execution: LiveExecution, by: RequestRef): void {
    this.#stopCause = { kind: 'execution-stop', workflowExecutionId: execution.record.id, ...by };
    try {
      execution.actor.send({ type: 'execution.stop' });
    } finally {
      this.#stopCause = null;
    }
    this.drainIfIdle(execution);
  }

  /** Ends the execution when nothing is left that can run. */
  settle(execution: LiveExecution): void {
    if (!this.#isRunning(execution)) return;
    const outcome = execution.settledOutcome();
    if (outcome) execution.actor.send({ type: 'execution.settled', outcome });
  }

  /** One of the execution's task executions finished: a stopping execution may now be stopped. */
  taskEnded(execution: LiveExecution): void {
    this.drainIfIdle(execution);
    this.#forgetIfDone(execution);
  }

  /** A stopping execution whose last task process has exited is stopped. */
  drainIfIdle(execution: LiveExecution): void {
    if (execution.actor.getSnapshot().value !== 'stopping' || this.#state.hasLiveTasks(execution)) return;
    execution.actor.send({ type: 'execution.drained' });
  }

  #isRunning(execution: LiveExecution): boolean {
    return execution.actor.getSnapshot().value === 'running';
  }

  #entered(execution: LiveExecution, status: EnteredStatus): void {
    const final = status !== 'stopping';
    Object.assign(execution.record, { status, endTime: final ? this.#clock.now() : null });
    const work = this.#state.current();
    work.uow.workflowExecutions.push({ ...execution.record });
    this.#emitStatus(execution);
    // Neither a stopping nor an ended execution reacts to events or ticks any more (both calls are idempotent).
    const id = execution.record.id;
    this.#timers.cancel((t) => t.kind === 'periodic' && t.workflowExecutionId === id);
    this.#state.index.remove(id, execution.record.namespace, execution.expectedKeys());
    if (final) work.effects.push(() => this.#forgetIfDone(execution));
  }

  /** A finished execution leaves memory once its latest task executions have all reported. */
  #forgetIfDone(execution: LiveExecution): void {
    const id = execution.record.id;
    if (this.#state.live.get(id) !== execution) return;
    const status = execution.actor.getSnapshot().value;
    if (status === 'running' || status === 'stopping') return;
    if ([...execution.latest.keys()].some((t) => execution.isTaskLive(t))) return;
    this.#state.live.delete(id);
    for (const slot of execution.latest.values()) this.#state.byTaskExecution.delete(slot.record.id);
  }

  #emitStatus(execution: LiveExecution): void {
    const context: WorkflowStatusContext = {
      workflowExecutionId: execution.record.id,
      workflow: execution.spec.name,
      status: execution.record.status,
    };
    this.#state.outbox(
      execution.record.namespace,
      workflowStatusKey(execution.spec.name),
      execution.record.status,
      context,
    );
  }

  /** The workflow execution machine with the engine's side effects, built once. */
  readonly #machine = workflowExecutionMachine.provide({
    actions: {
      stopTasks: ({ context }) => {
        const execution = this.#state.live.get(context.workflowExecutionId);
        if (!execution) return;
        const cause = this.#stopCause ?? {
          kind: 'execution-stop',
          workflowExecutionId: execution.record.id,
          method: 'workflowExecution.stop',
        };
        for (const task of execution.spec.tasks) this.#tasks.stop(execution, task.name, cause);
      },
      entered: ({ context }, { status }) => {
        const execution = this.#state.live.get(context.workflowExecutionId);
        if (execution) this.#entered(execution, status);
      },
    },
  });
}
