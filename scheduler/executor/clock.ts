/** Time as the scheduler and the executor see it; tests inject their own to fire timers without waiting. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The longest delay Node's `setTimeout` honours (2^31-1 ms, about 24.8 days): a longer one fires at once, with
 * only a warning.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A handle of {@link steppedTimers}: the timer armed for the current step. */
interface Stepped {
  current: unknown;
}

/**
 * A clock whose `setTimeout` accepts delays of any length: a delay past `maxDelayMs` is armed in steps on `base`,
 * each re-armed for the time still left on the base clock, so the callback runs when due and not before (a
 * 30-day interval, a yearly cron, a cron on 29 February). A delay that is not a finite number never fires.
 */
export function steppedTimers(base: Clock, maxDelayMs = MAX_TIMER_DELAY_MS): Clock {
  // Stepping twice would arm every step through two layers of handles for nothing.
  if (STEPPED_CLOCKS.has(base)) return base;
  const stepped: Clock = {
    now: () => base.now(),
    setTimeout(callback, ms) {
      const handle: Stepped = { current: undefined };
      const due = base.now() + Math.max(0, ms);
      const step = (): void => {
        const left = due - base.now();
        // The last step is left to the base timer: its own clock decides, as for any short delay.
        if (left <= maxDelayMs) handle.current = base.setTimeout(callback, Math.max(0, left));
        else handle.current = base.setTimeout(step, maxDelayMs);
      };
      if (Number.isFinite(due)) step();
      return handle;
    },
    clearTimeout(handle) {
      if (isStepped(handle)) base.clearTimeout(handle.current);
    },
  };
  STEPPED_CLOCKS.add(stepped);
  return stepped;
}

const STEPPED_CLOCKS = new WeakSet<Clock>();

function isStepped(handle: unknown): handle is Stepped {
  return typeof handle === 'object' && handle !== null && 'current' in handle;
}

/** Node's own timers, which fire at once past {@link MAX_TIMER_DELAY_MS}: use only through {@link steppedTimers}. */
const NODE_TIMERS: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The wall clock, with timers of any length. */
export const SYSTEM_CLOCK: Clock = steppedTimers(NODE_TIMERS);
