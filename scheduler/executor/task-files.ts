import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files of one task execution in the executor's data folder. They are the only channel between the executor
 * and a task runner, so a restarted executor can find out everything about a runner it did not start.
 */
export interface TaskFiles {
  /** {@link RunnerSpec}: what to run. Created exclusively: its existence means "this execution was launched". */
  spec: string;
  /** stdout and stderr of the task, appended. */
  log: string;
  /** {@link ProcessRecord}: the runner's pid, written by the executor right after the spawn. */
  pid: string;
  /**
   * Created exclusively by the runner as its first act, before any of the task's work, and holding its pid. Its
   * existence means "this execution began": a claimed execution without it never ran and may be started again,
   * and of two runners of one execution only the one that created it runs (see {@link claimStart}).
   */
  started: string;
  /** {@link TaskEnd}: how the execution ended; written once, atomically. */
  status: string;
  /** {@link StopRequest}: why the executor is killing the runner, written before the first signal. */
  stop: string;
  /** A bash task's exit code, written by its shell runner (which has no status of its own to write). */
  exit: string;
}

export function taskFiles(dataDir: string, taskExecutionId: number): TaskFiles {
  const base = join(dataDir, String(taskExecutionId));
  return {
    spec: `${base}.spec.json`,
    log: `${base}.log`,
    pid: `${base}.pid.json`,
    started: `${base}.started`,
    status: `${base}.status.json`,
    stop: `${base}.stop.json`,
    exit: `${base}.exit`,
  };
}

/** Where the output of a task execution goes (`aiflow task-execution logs` reads it). */
export function logPath(dataDir: string, taskExecutionId: number): string {
  return taskFiles(dataDir, taskExecutionId).log;
}

/** What a task execution runs: the executor's form of an OperatorSpec, with what a function task needs to be found. */
export type TaskOperator =
  | { type: 'bash'; command: string }
  /** Calls the function of task `task` of the workflow named `workflow` exported by `moduleFile`. */
  | { type: 'function'; moduleFile: string; workflow: string; task: string };

export interface RunnerSpec {
  taskExecutionId: number;
  operator: TaskOperator;
  /** Added to the runner's inherited environment. */
  env: Record<string, string>;
  logFile: string;
  statusFile: string;
  /** Read by the runner when it is signalled, so its status says why it was killed (stop or timeout). */
  stopFile: string;
  /** Working directory of the task; absent: the runner's own. */
  cwd?: string;
}

export type TaskEndStatus = 'success' | 'failed' | 'stopped';

export interface TaskOutcome {
  status: TaskEndStatus;
  /** Exit code of the task's process; null for function tasks and processes killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** One line for people: `exit code 3`, `timeout after 500 ms`, the error a function threw… */
  reason: string;
}

/** The content of the status file. */
export interface TaskEnd extends TaskOutcome {
  endTime: number;
}

export interface StopRequest {
  /** `stopped` for a stop, `failed` for a timeout. */
  status: 'stopped' | 'failed';
  reason: string;
}

export interface ProcessRecord {
  pid: number;
  startTime: number;
}

/** The exit code of a runner that found the execution already begun by another runner: it did nothing. */
export const ALREADY_STARTED_EXIT_CODE = 75;

/**
 * Creates `file` with `value` only if it does not exist yet, atomically: a reader sees no file or the whole content.
 * Returns false if it existed. The claim of a launch (the spec file) is made this way.
 */
export function createJsonExclusive(file: string, value: unknown): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  // Owner only: a spec holds the task's environment, its login (AIFLOW_PASSWORD) included.
  writeFileSync(temp, JSON.stringify(value), { mode: 0o600 });
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * A runner's first act: creates the `started` file holding its pid. False if it exists (another runner of the same
 * execution began it). The shell runner does the same with bash's noclobber (`set -C`), which opens with O_EXCL.
 */
export function claimStart(file: string, pid: number): boolean {
  try {
    writeFileSync(file, `${pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Whether the execution began, and the pid of the runner that began it when it could be read (a runner may be
 * between creating the file and writing its pid).
 */
export function readStart(file: string): { pid: number | undefined; time: number } | undefined {
  try {
    const time = statSync(file).mtimeMs;
    const text = readFileSync(file, 'utf8').trim();
    return { pid: /^[1-9]\d*$/.test(text) ? Number(text) : undefined, time };
  } catch {
    return undefined;
  }
}

/** Write to a temporary file, then rename: a reader sees the old content or the whole new one, never a part. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value));
  renameSync(temp, file);
}

/** The parsed file, or undefined when it does not exist or does not have the expected shape. */
export function readJson<T>(file: string, isValid: (value: unknown) => value is T): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isValid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const END_STATUSES: readonly unknown[] = ['success', 'failed', 'stopped'];

export function isTaskEnd(value: unknown): value is TaskEnd {
  return (
    isRecord(value) &&
    END_STATUSES.includes(value.status) &&
    (value.exitCode === null || typeof value.exitCode === 'number') &&
    (value.signal === null || typeof value.signal === 'string') &&
    typeof value.reason === 'string' &&
    typeof value.endTime === 'number'
  );
}

export function isStopRequest(value: unknown): value is StopRequest {
  return (
    isRecord(value) &&
    (value.status === 'stopped' || value.status === 'failed') &&
    typeof value.reason === 'string'
  );
}

export function isProcessRecord(value: unknown): value is ProcessRecord {
  return isRecord(value) && Number.isSafeInteger(value.pid) && typeof value.startTime === 'number';
}

export function isTaskOperator(value: unknown): value is TaskOperator {
  if (!isRecord(value)) return false;
  if (value.type === 'bash') return typeof value.command === 'string';
  return (
    value.type === 'function' &&
    typeof value.moduleFile === 'string' &&
    typeof value.workflow === 'string' &&
    typeof value.task === 'string'
  );
}

export function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

export function isRunnerSpec(value: unknown): value is RunnerSpec {
  return (
    isRecord(value) &&
    Number.isSafeInteger(value.taskExecutionId) &&
    isTaskOperator(value.operator) &&
    isStringRecord(value.env) &&
    typeof value.logFile === 'string' &&
    typeof value.statusFile === 'string' &&
    typeof value.stopFile === 'string' &&
    (value.cwd === undefined || typeof value.cwd === 'string')
  );
}
