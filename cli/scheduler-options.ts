import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { LEASE_DEFAULTS } from '../scheduler/lease.ts';

/** Task processes at once by default: one per core, at least two (a task often waits on I/O). */
export function defaultParallelism(): number {
  return Math.max(2, availableParallelism());
}

export const MAX_PARALLELISM = 10_000;

export function parseParallelism(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > MAX_PARALLELISM) {
    throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_PARALLELISM}.`);
  }
  return n;
}

function parseDurationMs(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer number of milliseconds ≥ ${min}.`);
    }
    return n;
  };
}

/** The options `server start` and `scheduler start` share, with the same names and environment variables. */
export const parallelismOption = () =>
  new Option('--parallelism <n>', 'task processes running at once')
    .env('AIFLOW_PARALLELISM')
    .default(defaultParallelism())
    .argParser(parseParallelism);

export const leaseDurationOption = () =>
  new Option(
    '--lease-duration-ms <ms>',
    'how long the scheduler lease lasts without renewal (another scheduler may take over after it)',
  )
    .default(LEASE_DEFAULTS.durationMs)
    .argParser(parseDurationMs(10));

export const stopGraceOption = () =>
  new Option('--stop-grace-ms <ms>', 'time between SIGTERM and SIGKILL when a task is stopped').argParser(
    parseDurationMs(0),
  );

export const conditionTimeoutOption = () =>
  new Option(
    '--condition-timeout-ms <ms>',
    "longest a custom condition's isMet may take (longer counts as not met)",
  ).argParser(parseDurationMs(1));

export interface SchedulerCliOptions {
  parallelism: number;
  leaseDurationMs: number;
  stopGraceMs?: number;
  conditionTimeoutMs?: number;
}
