import { resolve } from 'node:path';
import { AIFlowError } from '../../protocol/errors.ts';
import { steppedTimers, SYSTEM_CLOCK, type Clock } from './clock.ts';
import { isStringRecord, isTaskOperator, type TaskOperator } from './task-files.ts';

export interface LocalTaskExecutorOptions {
  /**
   * Folder of the files of each task execution: `<id>.spec.json`, `<id>.log`, `<id>.pid.json`, `<id>.started`,
   * `<id>.status.json`, `<id>.stop.json`, `<id>.exit`. Created at the first start. Keep it across restarts: it is
   * how the next executor adopts running tasks, starts a claimed one that never began and refuses to start one
   * twice.
   */
  dataDir: string;
  /** Tasks running at once (adopted ones included); more are queued in FIFO order. @defaultValue 10 */
  parallelism?: number;
  /** Time between SIGTERM and SIGKILL when a task is stopped or times out. @defaultValue 10000 */
  stopGraceMs?: number;
  /** How often adopted tasks (not children of this process) are checked for their end. @defaultValue 500 */
  pollIntervalMs?: number;
  /** Its timers may be of any length: long delays are armed in steps. @defaultValue the system clock */
  clock?: Clock;
}

export const LOCAL_EXECUTOR_DEFAULTS = {
  parallelism: 10,
  stopGraceMs: 10_000,
  pollIntervalMs: 500,
} as const;

export type ResolvedExecutorOptions = Required<LocalTaskExecutorOptions>;

export function resolveExecutorOptions(options: LocalTaskExecutorOptions): ResolvedExecutorOptions {
  const o = { ...LOCAL_EXECUTOR_DEFAULTS, clock: SYSTEM_CLOCK, ...stripUndefined(options) };
  if (typeof o.dataDir !== 'string' || o.dataDir === '')
    invalid(`dataDir must be a folder path, got ${show(o.dataDir)}`);
  if (!Number.isSafeInteger(o.parallelism) || o.parallelism < 1)
    invalid(`parallelism must be a positive integer, got ${show(o.parallelism)}`);
  if (!isDuration(o.stopGraceMs))
    invalid(`stopGraceMs must be a number of milliseconds ≥ 0, got ${show(o.stopGraceMs)}`);
  if (!isDuration(o.pollIntervalMs) || o.pollIntervalMs === 0)
    invalid(`pollIntervalMs must be a positive number of milliseconds, got ${show(o.pollIntervalMs)}`);
  // Absolute, because a runner's command line names its spec file and adopt() recognises runners by it.
  return { ...o, dataDir: resolve(o.dataDir), clock: steppedTimers(o.clock) };
}

/** One task execution to run. */
export interface SubmitRequest {
  /** Unique per task execution: the executor runs an id at most once. */
  taskExecutionId: number;
  operator: TaskOperator;
  /** Added to the executor's environment (see `taskRuntimeEnv` for the variables the scheduler sets). */
  env: Record<string, string>;
  /** Killed and failed after this long; null: no limit. */
  timeoutMs: number | null;
  /** Working directory of the task. @defaultValue the executor's */
  cwd?: string;
}

/** A runner started by an earlier executor, as the scheduler recorded it from the `started` event. */
export interface AdoptRecord {
  taskExecutionId: number;
  pid: number;
  /** Epoch ms when it started: the timeout counts from there. */
  startTime: number;
  timeoutMs?: number | null;
}

export function validateSubmitRequest(request: SubmitRequest): SubmitRequest {
  validateId(request.taskExecutionId);
  if (!isTaskOperator(request.operator))
    invalid(`operator must be {type:'bash', command} or {type:'function', moduleFile, workflow, task}`);
  if (!isStringRecord(request.env)) invalid('env must map variable names to strings');
  validateTimeout(request.timeoutMs);
  if (request.cwd !== undefined && typeof request.cwd !== 'string') invalid(`cwd must be a string`);
  const operator: TaskOperator =
    request.operator.type === 'function'
      ? { ...request.operator, moduleFile: resolve(request.operator.moduleFile) }
      : request.operator;
  return { ...request, operator, ...(request.cwd === undefined ? {} : { cwd: resolve(request.cwd) }) };
}

export function validateAdoptRecord(record: AdoptRecord): void {
  validateId(record.taskExecutionId);
  if (!Number.isSafeInteger(record.pid) || record.pid < 1)
    invalid(`pid must be a positive integer, got ${show(record.pid)}`);
  if (!Number.isFinite(record.startTime))
    invalid(`startTime must be epoch milliseconds, got ${show(record.startTime)}`);
  validateTimeout(record.timeoutMs ?? null);
}

function validateId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0)
    invalid(`taskExecutionId must be a non-negative integer, got ${show(id)}`);
}

function validateTimeout(timeoutMs: number | null): void {
  if (timeoutMs !== null && (!isDuration(timeoutMs) || timeoutMs === 0))
    invalid(`timeoutMs must be a positive number of milliseconds or null, got ${show(timeoutMs)}`);
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function invalid(message: string): never {
  throw new AIFlowError('INVALID_OPTION', message);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
