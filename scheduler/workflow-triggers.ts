import { expectedKeys } from '../workflow/spec.ts';
import { taskStatusKey } from '../protocol/status-events.ts';
import type { TriggerRecord, WorkflowRecord } from './store/records.ts';

/**
 * The workflow triggers, indexed by namespace and expected key. Only active triggers are returned: not paused,
 * and of an enabled workflow (SPEC §3.7).
 */
export class WorkflowTriggers {
  readonly #triggers = new Map<number, TriggerRecord>();

  load(triggers: TriggerRecord[]): void {
    for (const trigger of triggers) this.#triggers.set(trigger.id, trigger);
  }

  put(trigger: TriggerRecord): void {
    this.#triggers.set(trigger.id, trigger);
  }

  remove(ids: number[]): void {
    ids.forEach((id) => this.#triggers.delete(id));
  }

  forWorkflow(workflowId: number): TriggerRecord[] {
    return [...this.#triggers.values()].filter((t) => t.workflowId === workflowId);
  }

  /** Active triggers expecting this key, grouped by workflow, in id order. */
  matching(
    namespace: string,
    key: string,
    workflowOf: (id: number) => WorkflowRecord | undefined,
  ): Map<WorkflowRecord, TriggerRecord[]> {
    const byWorkflow = new Map<WorkflowRecord, TriggerRecord[]>();
    for (const trigger of [...this.#triggers.values()].sort((a, b) => a.id - b.id)) {
      const workflow = workflowOf(trigger.workflowId);
      if (trigger.paused || !workflow?.enabled || workflow.namespace !== namespace) continue;
      const keys = expectedKeys(trigger.condition, (task) => taskStatusKey(workflow.name, task));
      if (!keys.includes(key)) continue;
      byWorkflow.set(workflow, [...(byWorkflow.get(workflow) ?? []), trigger]);
    }
    return byWorkflow;
  }
}
