import { MAX_TIMER_DELAY_MS, type Clock } from '../scheduler/clock.ts';

/**
 * A clock that moves only when told: timers fire, in due order, when `advance` passes their time.
 * Like Node's `setTimeout`, a delay over 2^31-1 ms fires after 1 ms: code under test must arm long delays in steps.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, { due: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.#nextId++;
    const delay = ms > MAX_TIMER_DELAY_MS || Number.isNaN(ms) ? 1 : Math.max(0, ms);
    this.#timers.set(id, { due: this.#now + delay, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = [...this.#timers.entries()].sort((a, b) => a[1].due - b[1].due)[0];
      if (!next || next[1].due > target) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].due;
      next[1].callback();
    }
    this.#now = target;
  }

  /** Timers waiting, for assertions. */
  get pending(): number {
    return this.#timers.size;
  }
}
