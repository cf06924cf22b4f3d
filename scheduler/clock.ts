export { MAX_TIMER_DELAY_MS, SYSTEM_CLOCK, steppedTimers, type Clock } from './executor/clock.ts';
