import { FINISHED_TASK_STATUSES, LIVE_TASK_STATUSES, type TaskStatus } from '../protocol/status.ts';
import { taskStatusKey } from '../protocol/status-events.ts';
import { expectedKeys, type TaskSpec, type WorkflowSpec } from '../workflow/spec.ts';
import type { MachineActor } from './machines/machine-actor.ts';
import type { taskExecutionMachine } from './machines/task-execution.machine.ts';
import type { workflowExecutionMachine } from './machines/workflow-execution.machine.ts';
import type { SnapshotRecord, TaskExecutionRecord, WorkflowExecutionRecord } from './store/records.ts';

export type TaskActor = MachineActor<typeof taskExecutionMachine>;
export type ExecutionActor = MachineActor<typeof workflowExecutionMachine>;

const keysBySpec = new WeakMap<WorkflowSpec, ReadonlySet<string>>();

/** The latest execution of one task, with its actor while it is live. */
export interface TaskSlot {
  record: TaskExecutionRecord;
  actor: TaskActor | null;
}

/** The in-memory state of one running workflow execution: its record, its snapshot and its tasks' latest runs. */
export class LiveExecution {
  readonly record: WorkflowExecutionRecord;
  readonly snapshot: SnapshotRecord;
  readonly actor: ExecutionActor;
  /** Latest task execution per task name. */
  readonly latest = new Map<string, TaskSlot>();
  /** Value state of conditions, scoped to this execution. */
  readonly state = new Map<string, unknown>();
  /**
   * Each task's status as of the status events processed so far: what task-status conditions read. The latest
   * status may already be ahead of the event being processed (a fast task succeeds before its `running` event
   * comes back through the log); reading it would fire `startAfter` on both events, starting a task twice.
   */
  readonly observed = new Map<string, TaskStatus>();

  constructor(record: WorkflowExecutionRecord, snapshot: SnapshotRecord, actor: ExecutionActor) {
    this.record = record;
    this.snapshot = snapshot;
    this.actor = actor;
  }

  get spec(): WorkflowSpec {
    return this.snapshot.spec;
  }

  get stateScope(): string {
    return `execution:${this.record.id}`;
  }

  task(name: string): TaskSpec | undefined {
    return this.spec.tasks.find((t) => t.name === name);
  }

  statusOf(task: string): TaskStatus | undefined {
    return this.latest.get(task)?.record.status;
  }

  isTaskLive(task: string): boolean {
    const status = this.statusOf(task);
    return status !== undefined && LIVE_TASK_STATUSES.has(status);
  }

  /** Every event key any rule of this execution expects (the same for every execution of a snapshot). */
  expectedKeys(): ReadonlySet<string> {
    const spec = this.spec;
    let keys = keysBySpec.get(spec);
    if (!keys) {
      const keyOf = (task: string) => taskStatusKey(spec.name, task);
      keys = new Set(spec.tasks.flatMap((t) => t.rules.flatMap((r) => expectedKeys(r.condition, keyOf))));
      keysBySpec.set(spec, keys);
    }
    return keys;
  }

  /**
   * The final status once nothing is left that can run, else undefined. Nothing can run when no task execution is
   * live and every task that never ran waits only on task statuses (which can no longer change). The outcome is
   * order-independent: failed if any task's latest execution failed, else stopped if any stopped, else success.
   */
  settledOutcome(): 'success' | 'failed' | 'stopped' | undefined {
    for (const task of this.spec.tasks) {
      const status = this.statusOf(task.name);
      if (status !== undefined && !FINISHED_TASK_STATUSES.has(status)) return undefined;
      // Its last status event has not been processed yet: rules may still react to it.
      if (status !== undefined && this.observed.get(task.name) !== status) return undefined;
      if (status === undefined && this.#mayStillStart(task)) return undefined;
      if (task.periodic !== null) return undefined;
    }
    const statuses = this.spec.tasks.map((t) => this.statusOf(t.name));
    if (statuses.includes('failed')) return 'failed';
    if (statuses.includes('stopped')) return 'stopped';
    return 'success';
  }

  /** A task that never ran may still be started by an event that is not a task status. */
  #mayStillStart(task: TaskSpec): boolean {
    const keyOf = (name: string) => taskStatusKey(this.spec.name, name);
    return task.rules.some(
      (rule) =>
        rule.action !== 'stop' &&
        expectedKeys(rule.condition, keyOf).some((key) => !key.startsWith('$task/')),
    );
  }
}
