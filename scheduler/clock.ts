export { SYSTEM_CLOCK, type Clock } from './executor/executor-options.ts';
