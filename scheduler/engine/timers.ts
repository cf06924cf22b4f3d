import type { TaskSpec } from '../../workflow/spec.ts';
import type { Clock } from '../clock.ts';
import type { LiveExecution } from '../execution.ts';
import { nextRunTime, parseScheduleExpression } from '../schedule/expression.ts';
import type { TimerRecord } from '../store/records.ts';
import type { EngineState } from './engine-state.ts';

/**
 * Timers kept in the database (task retries, periodic ticks), so that they survive restarts. A new or cancelled
 * timer is written with the unit of work and armed or disarmed only after it is committed; a due timer is fed
 * back to the engine as an input.
 */
export class EngineTimers {
  readonly #state: EngineState;
  readonly #clock: Clock;
  readonly #due: (timer: TimerRecord) => void;
  readonly #armed = new Map<number, { timer: TimerRecord; handle: unknown }>();

  constructor(state: EngineState, clock: Clock, due: (timer: TimerRecord) => void) {
    this.#state = state;
    this.#clock = clock;
    this.#due = due;
  }

  /** A retry of a failed try, after an exponential back-off. */
  scheduleRetry(taskExecutionId: number, task: TaskSpec, attempt: number): void {
    const dueTime = this.#clock.now() + task.retry.backoffMs * 2 ** (attempt - 1);
    this.#add({ id: this.#state.ids.timer++, dueTime, kind: 'retry', taskExecutionId });
  }

  cancelRetry(taskExecutionId: number): void {
    this.cancel((t) => t.kind === 'retry' && t.taskExecutionId === taskExecutionId);
  }

  /** The next tick of a periodic task, from now. */
  schedulePeriodic(execution: LiveExecution, task: TaskSpec): void {
    if (task.periodic === null) return;
    const dueTime = nextRunTime(parseScheduleExpression(task.periodic), this.#clock.now());
    if (dueTime === null) return;
    this.#add({
      id: this.#state.ids.timer++,
      dueTime,
      kind: 'periodic',
      workflowExecutionId: execution.record.id,
      task: task.name,
    });
  }

  cancel(match: (timer: TimerRecord) => boolean): void {
    const work = this.#state.current();
    for (const [id, armed] of this.#armed) {
      if (!match(armed.timer)) continue;
      work.uow.deletedTimers.push(id);
      work.effects.push(() => this.#disarm(id));
    }
  }

  /** A due timer is handled once: it is deleted in the unit of work that handles it. */
  take(timer: TimerRecord): boolean {
    if (!this.#armed.has(timer.id)) return false;
    this.#armed.delete(timer.id);
    this.#state.current().uow.deletedTimers.push(timer.id);
    return true;
  }

  /** Arms a stored timer (arming it again replaces the earlier handle). */
  arm(timer: TimerRecord): void {
    this.#disarm(timer.id);
    // The engine's clock accepts delays of any length (`steppedTimers`).
    const handle = this.#clock.setTimeout(
      () => this.#due(timer),
      Math.max(0, timer.dueTime - this.#clock.now()),
    );
    this.#armed.set(timer.id, { timer, handle });
  }

  clear(): void {
    for (const { handle } of this.#armed.values()) this.#clock.clearTimeout(handle);
    this.#armed.clear();
  }

  #add(timer: TimerRecord): void {
    const work = this.#state.current();
    work.uow.timers.push(timer);
    work.effects.push(() => this.arm(timer));
  }

  #disarm(id: number): void {
    const armed = this.#armed.get(id);
    if (armed) this.#clock.clearTimeout(armed.handle);
    this.#armed.delete(id);
  }
}
