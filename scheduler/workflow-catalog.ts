import { AIFlowError } from '../protocol/errors.ts';
import type { Clock } from './clock.ts';
import type { MetadataStore, Recovery } from './store/metadata-store.ts';
import type { ScheduleRecord, SnapshotRecord, TriggerRecord, WorkflowRecord } from './store/records.ts';
import { WorkflowSchedules } from './workflow-schedules.ts';
import { WorkflowTriggers } from './workflow-triggers.ts';

const WORKFLOW_SCOPE = 'workflow:';

/**
 * The scheduler's view of the workflows: their records and snapshots, their schedules, their triggers and the
 * value state of trigger conditions (scoped to the workflow). Changes go to the store first, then to memory.
 */
export class WorkflowCatalog {
  readonly #store: MetadataStore;
  readonly #workflows = new Map<number, WorkflowRecord>();
  readonly #snapshots = new Map<number, SnapshotRecord>();
  readonly #triggers = new WorkflowTriggers();
  readonly #triggerStates = new Map<number, Map<string, unknown>>();
  readonly #schedules: WorkflowSchedules;

  constructor(store: MetadataStore, clock: Clock, fire: (schedule: ScheduleRecord) => Promise<void>) {
    this.#store = store;
    this.#schedules = new WorkflowSchedules(store, clock, fire);
  }

  async load(recovery: Recovery): Promise<void> {
    for (const workflow of recovery.workflows) this.#workflows.set(workflow.id, workflow);
    for (const snapshot of recovery.snapshots) this.#snapshots.set(snapshot.id, snapshot);
    this.#triggers.load(await this.#store.listTriggers());
    this.loadTriggerStates(recovery.states);
  }

  /** (Re)loads the value state of trigger conditions. */
  loadTriggerStates(states: Recovery['states']): void {
    this.#triggerStates.clear();
    for (const state of states.filter((s) => s.scope.startsWith(WORKFLOW_SCOPE))) {
      this.triggerState(Number(state.scope.slice(WORKFLOW_SCOPE.length))).set(state.name, state.value);
    }
  }

  /** Arms the schedules (a run missed while the server was down fires once). */
  startSchedules(): Promise<void> {
    return this.#schedules.start();
  }

  close(): void {
    this.#schedules.close();
  }

  workflow(id: number): WorkflowRecord | undefined {
    return this.#workflows.get(id);
  }

  /** A snapshot already in memory (every workflow's current one and every running execution's are). */
  cachedSnapshot(id: number): SnapshotRecord | undefined {
    return this.#snapshots.get(id);
  }

  /** The current snapshots of the enabled workflows (those schedules, triggers and starts run next). */
  currentSnapshots(): SnapshotRecord[] {
    return [...this.#workflows.values()]
      .filter((workflow) => workflow.enabled)
      .flatMap((workflow) => this.#snapshots.get(workflow.snapshotId) ?? []);
  }

  async snapshot(id: number): Promise<SnapshotRecord> {
    let snapshot = this.#snapshots.get(id);
    if (!snapshot) {
      snapshot = await this.#store.getSnapshot(id);
      if (!snapshot) throw new AIFlowError('NOT_FOUND', `snapshot ${id} does not exist`);
      this.#snapshots.set(id, snapshot);
    }
    return snapshot;
  }

  /** Active triggers expecting this key, by workflow. */
  activeTriggers(namespace: string, key: string): Map<WorkflowRecord, TriggerRecord[]> {
    return this.#triggers.matching(namespace, key, (id) => this.#workflows.get(id));
  }

  triggerState(workflowId: number): Map<string, unknown> {
    let state = this.#triggerStates.get(workflowId);
    if (!state) this.#triggerStates.set(workflowId, (state = new Map()));
    return state;
  }

  triggerStateScope(workflowId: number): string {
    return `${WORKFLOW_SCOPE}${workflowId}`;
  }

  /** Keeps the view of a workflow current after an upload, enable or disable. */
  async refreshWorkflow(workflow: WorkflowRecord): Promise<void> {
    this.#workflows.set(workflow.id, workflow);
    await this.snapshot(workflow.snapshotId);
  }

  /** After an upload: the module's triggers replace the ones its previous upload declared. */
  async replaceModuleTriggers(
    workflow: WorkflowRecord,
    conditions: TriggerRecord['condition'][],
  ): Promise<void> {
    await this.refreshWorkflow(workflow);
    const old = this.#triggers.forWorkflow(workflow.id).filter((t) => t.origin === 'module');
    await this.#store.deleteTriggers(old.map((t) => t.id));
    this.#triggers.remove(old.map((t) => t.id));
    for (const condition of conditions) {
      this.#triggers.put(await this.#store.addTrigger(workflow.id, condition, 'module'));
    }
  }

  /** Before a workflow is deleted: its schedules stop and its triggers go. */
  async forgetWorkflow(workflow: WorkflowRecord): Promise<void> {
    const schedules = await this.#store.listSchedules(workflow.id);
    await this.#schedules.delete(schedules.map((s) => s.id));
    this.#triggers.remove(this.#triggers.forWorkflow(workflow.id).map((t) => t.id));
    this.#workflows.delete(workflow.id);
    this.#triggerStates.delete(workflow.id);
  }

  addSchedule(workflow: WorkflowRecord, expression: string): Promise<ScheduleRecord> {
    return this.#schedules.add(workflow.id, expression);
  }

  pauseSchedule(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    return this.#schedules.pause(schedule);
  }

  resumeSchedule(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    return this.#schedules.resume(schedule);
  }

  deleteSchedules(ids: number[]): Promise<void> {
    return this.#schedules.delete(ids);
  }

  async addTrigger(workflow: WorkflowRecord, condition: TriggerRecord['condition']): Promise<TriggerRecord> {
    const trigger = await this.#store.addTrigger(workflow.id, condition, 'cli');
    this.#triggers.put(trigger);
    return trigger;
  }

  async setTriggerPaused(trigger: TriggerRecord, paused: boolean): Promise<TriggerRecord> {
    await this.#store.setTriggerPaused(trigger.id, paused);
    const updated = { ...trigger, paused };
    this.#triggers.put(updated);
    return updated;
  }

  async deleteTriggers(ids: number[]): Promise<void> {
    await this.#store.deleteTriggers(ids);
    this.#triggers.remove(ids);
  }
}
