import { AIFlowError } from '../protocol/errors.ts';
import type { Clock } from './clock.ts';
import { nextRunTime, parseScheduleExpression } from './schedule/expression.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type { ScheduleRecord } from './store/records.ts';

/**
 * Workflow schedules: each one's next run time is stored, and armed as a timer on the injected clock.
 * Missed runs (the server was down at the time) are caught up with ONE run at start, then the schedule goes on
 * from the current time.
 */
export class WorkflowSchedules {
  readonly #store: MetadataStore;
  readonly #clock: Clock;
  readonly #fire: (schedule: ScheduleRecord) => Promise<void>;
  readonly #timers = new Map<number, unknown>();
  #closed = false;

  constructor(store: MetadataStore, clock: Clock, fire: (schedule: ScheduleRecord) => Promise<void>) {
    this.#store = store;
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Arms every active schedule; a run missed while the server was down fires once, now. */
  async start(): Promise<void> {
    for (const schedule of await this.#store.listSchedules()) {
      if (!schedule.paused && schedule.nextRunTime !== null) this.#arm(schedule);
    }
  }

  async add(workflowId: number, expression: string): Promise<ScheduleRecord> {
    const next = this.#next(expression);
    const schedule = await this.#store.addSchedule(workflowId, expression, next);
    this.#arm(schedule);
    return schedule;
  }

  async pause(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    this.#disarm(schedule.id);
    await this.#store.updateSchedule(schedule.id, { paused: true, nextRunTime: null });
    return { ...schedule, paused: true, nextRunTime: null };
  }

  /** Resumes from now: runs missed while paused are not made up. */
  async resume(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    const resumed = { ...schedule, paused: false, nextRunTime: this.#next(schedule.expression) };
    await this.#store.updateSchedule(schedule.id, resumed);
    this.#arm(resumed);
    return resumed;
  }

  async delete(ids: number[]): Promise<void> {
    ids.forEach((id) => this.#disarm(id));
    await this.#store.deleteSchedules(ids);
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#timers.keys()]) this.#disarm(id);
  }

  #next(expression: string): number {
    const next = nextRunTime(parseScheduleExpression(expression), this.#clock.now());
    if (next === null) throw new AIFlowError('INVALID_SCHEDULE', `schedule ${expression} never fires`);
    return next;
  }

  #arm(schedule: ScheduleRecord): void {
    if (this.#closed || schedule.nextRunTime === null) return;
    this.#disarm(schedule.id);
    const delay = Math.max(0, schedule.nextRunTime - this.#clock.now());
    const handle = this.#clock.setTimeout(() => void this.#run(schedule.id), delay);
    this.#timers.set(schedule.id, handle);
  }

  #disarm(id: number): void {
    const handle = this.#timers.get(id);
    if (handle !== undefined) this.#clock.clearTimeout(handle);
    this.#timers.delete(id);
  }

  async #run(id: number): Promise<void> {
    this.#timers.delete(id);
    // Read it again: it may have been paused or deleted since it was armed.
    const schedule = await this.#store.getSchedule(id);
    if (this.#closed || !schedule || schedule.paused) return;
    const next = { ...schedule, nextRunTime: this.#next(schedule.expression) };
    await this.#store.updateSchedule(id, next);
    this.#arm(next);
    await this.#fire(schedule);
  }
}
