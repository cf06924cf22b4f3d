import { timeOrderedId } from '../../protocol/random-id.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import type { LiveExecution, TaskSlot } from '../execution.ts';
import { RuleIndex } from '../rule-index.ts';
import type { Recovery } from '../store/metadata-store.ts';
import type { Work } from './work.ts';

/**
 * The engine's working set, shared by its parts: live executions and their task executions, the rule index,
 * the next free ids, and the unit of work of the input being handled (every change is recorded there).
 */
export class EngineState {
  readonly live = new Map<number, LiveExecution>();
  readonly byTaskExecution = new Map<number, { execution: LiveExecution; task: string }>();
  /** Older task executions replaced by a RESTART, kept until their process has reported. */
  readonly retired = new Map<number, TaskSlot>();
  readonly index = new RuleIndex();
  ids: Recovery['nextIds'] = {
    workflowExecution: 1,
    taskExecution: 1,
    timer: 1,
    outbox: 1,
    taskAction: 1,
  };
  #work: Work | null = null;

  /** The unit of work of the input being handled. */
  current(): Work {
    if (!this.#work) throw new AIFlowError('INTERNAL', 'scheduler change outside of a unit of work');
    return this.#work;
  }

  /** Runs `body` with `work` as the current unit of work. */
  async within<T>(work: Work, body: () => Promise<T> | T): Promise<T> {
    this.#work = work;
    try {
      return await body();
    } finally {
      this.#work = null;
    }
  }

  /** The latest or retired slot of a task execution. */
  slotOf(taskExecutionId: number): TaskSlot | undefined {
    const found = this.byTaskExecution.get(taskExecutionId);
    const slot = found?.execution.latest.get(found.task);
    if (slot?.record.id === taskExecutionId) return slot;
    return this.retired.get(taskExecutionId);
  }

  /** Whether any task process of the execution may still be running (latest runs and RESTART-replaced ones). */
  hasLiveTasks(execution: LiveExecution): boolean {
    for (const slot of execution.latest.values()) if (slot.actor) return true;
    for (const slot of this.retired.values()) {
      if (slot.actor && slot.record.workflowExecutionId === execution.record.id) return true;
    }
    return false;
  }

  /** Records a status event, committed with the change that caused it and published afterwards. */
  outbox(namespace: string, key: string, value: string, context: object): void {
    this.current().uow.outbox.push({
      id: this.ids.outbox++,
      eventId: timeOrderedId(),
      namespace,
      key,
      value,
      context: JSON.stringify(context),
    });
  }

  /** Drops every in-memory actor and map (before a reload from the store, or on close). */
  clear(): void {
    for (const execution of this.live.values()) {
      execution.actor.stop();
      for (const slot of execution.latest.values()) slot.actor?.stop();
    }
    for (const slot of this.retired.values()) slot.actor?.stop();
    this.live.clear();
    this.byTaskExecution.clear();
    this.retired.clear();
    this.index.clear();
  }
}
