import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { siblingModule, userModuleNodeFlags } from '../../protocol/module-url.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import {
  resolveExecutorOptions,
  validateAdoptRecord,
  validateSubmitRequest,
  type AdoptRecord,
  type LocalTaskExecutorOptions,
  type ResolvedExecutorOptions,
  type SubmitRequest,
} from './executor-options.ts';
import { errorReason, exitOutcome, settleOutcome, STOPPED_BEFORE_START, timeoutReason } from './outcome.ts';
import { checkCrashPointEnv, crashPoint } from './crash-points.ts';
import { findRunner, isRunnerAlive, signalGroup } from './process-group.ts';
import {
  ALREADY_STARTED_EXIT_CODE,
  createJsonExclusive,
  isProcessRecord,
  isStopRequest,
  isTaskEnd,
  readJson,
  readStart,
  taskFiles,
  writeJsonAtomic,
  type RunnerSpec,
  type StopRequest,
  type TaskFiles,
  type TaskOutcome,
} from './task-files.ts';
import { readExitCode, shellRunnerArgs } from './shell-runner.ts';

/** Absolute paths, so a runner can start in any folder (`--import tsx` alone resolves from the cwd). */
const RUNNER_FILE = fileURLToPath(siblingModule(import.meta.url, 'task-runner'));
const TSX_LOADER = import.meta.resolve('tsx');

export interface TaskStarted {
  taskExecutionId: number;
  /** Pid of the runner, leader of the task's process group: what the scheduler records for `adopt`. */
  pid: number;
}

export interface TaskFinished extends TaskOutcome {
  taskExecutionId: number;
}

export interface RunningTask {
  taskExecutionId: number;
  pid: number;
  startTime: number;
}

export interface LocalTaskExecutorEvents {
  /**
   * A runner process was spawned (or, by a repeated `submit` after a restart, found alive again, or found to have
   * begun and ended while no executor watched it: then `finished` follows at once).
   */
  started: [TaskStarted];
  /** Exactly once per task execution submitted or adopted, unless the executor is closed first. */
  finished: [TaskFinished];
}

interface Entry {
  id: number;
  pid: number;
  startTime: number;
  timeoutMs: number | null;
  files: TaskFiles;
  /** Undefined for an adopted runner: not our child, so its end is found by polling. */
  child: ChildProcess | undefined;
  /** Set once the executor starts killing it; the first of stop and timeout decides the verdict. */
  stop: StopRequest | undefined;
  deadline: unknown;
  killTimer: unknown;
}

/**
 * Runs each task execution as a detached `task-runner` process and tells how it ended.
 *
 * Events are emitted synchronously from inside the calls and from process exits: attach listeners before calling.
 * Runners survive the executor (and the scheduler) on a graceful `close()` or a crash; the next executor gets them
 * back with `adopt()` from the pids the scheduler recorded, or from `submit()` of the same id. A task execution
 * starts exactly once whatever the moment of a crash (the points are named in `crash-points.ts`): the spec file,
 * created exclusively before the spawn, is the executor's claim; the start file, created exclusively by the runner
 * before any work, says the work began. A submit of a claimed id follows its live runner (found by its recorded
 * pid, its start file or its command line), reads the end of one that began and is gone, and starts one that
 * never began: its executor died between the claim and the runner's first act.
 */
export class LocalTaskExecutor extends EventEmitter<LocalTaskExecutorEvents> {
  readonly #o: ResolvedExecutorOptions;
  /** Insertion order is FIFO order, and removal of a stopped task is O(1). */
  readonly #queue = new Map<number, SubmitRequest>();
  readonly #running = new Map<number, Entry>();
  /** Ids finished in this process, so a replayed submit is a no-op. */
  readonly #finished = new Set<number>();
  readonly #waiters = new Map<number, (() => void)[]>();
  #pollTimer: unknown;
  #pumping = false;
  #closing: Promise<void> | undefined;
  #closed = false;

  /** Validates the options (AIFlowError `INVALID_OPTION`); does no I/O. */
  constructor(options: LocalTaskExecutorOptions) {
    super();
    this.#o = resolveExecutorOptions(options);
    checkCrashPointEnv();
  }

  get dataDir(): string {
    return this.#o.dataDir;
  }

  logPath(taskExecutionId: number): string {
    return taskFiles(this.#o.dataDir, taskExecutionId).log;
  }

  /** Task runs waiting for a free slot (`parallelism` run already). */
  get queued(): number {
    return this.#queue.size;
  }

  /** Ids and pids of the runners counted against parallelism, for the scheduler to persist. */
  running(): RunningTask[] {
    return [...this.#running.values()].map((e) => ({
      taskExecutionId: e.id,
      pid: e.pid,
      startTime: e.startTime,
    }));
  }

  /** Starts the task execution, or queues it when `parallelism` run already. A known id is a no-op. */
  async submit(request: SubmitRequest): Promise<void> {
    this.#assertOpen();
    const r = validateSubmitRequest(request);
    if (this.#isKnown(r.taskExecutionId)) return;
    // Launched by an earlier executor: follow that launch at once, whatever the parallelism (it runs already).
    if (existsSync(taskFiles(this.#o.dataDir, r.taskExecutionId).spec) && this.#followLaunch(r)) return;
    this.#queue.set(r.taskExecutionId, r);
    this.#pump();
  }

  /**
   * Stops a task execution: a queued one finishes `stopped` without ever starting; a running one gets SIGTERM
   * on its process group, SIGKILL after `stopGraceMs`. Resolves once it finished (or the executor closed).
   * Unknown and finished ids: no-op.
   */
  async stop(taskExecutionId: number): Promise<void> {
    if (this.#closed) return;
    if (this.#queue.delete(taskExecutionId)) {
      this.#finish(taskExecutionId, {
        status: 'stopped',
        exitCode: null,
        signal: null,
        reason: STOPPED_BEFORE_START,
      });
      return;
    }
    const entry = this.#running.get(taskExecutionId);
    if (entry === undefined) return;
    const finished = this.#waitFor(taskExecutionId);
    this.#kill(entry, { status: 'stopped', reason: 'stopped on request' });
    await finished;
  }

  /** Takes back a task execution still waiting for a free slot (see `TaskRunner.withdraw`): it never starts. */
  withdraw(taskExecutionId: number): boolean {
    return !this.#closed && this.#queue.delete(taskExecutionId);
  }

  /** Watches runners started by an earlier executor; they count against parallelism and can be stopped. */
  async adopt(records: AdoptRecord[]): Promise<void> {
    this.#assertOpen();
    records.forEach(validateAdoptRecord);
    for (const r of records) {
      if (this.#running.has(r.taskExecutionId) || this.#finished.has(r.taskExecutionId)) continue;
      this.#queue.delete(r.taskExecutionId); // it started in an earlier life: never start it again
      this.#watch({ ...r, timeoutMs: r.timeoutMs ?? null });
    }
    this.#poll();
  }

  /**
   * Idempotent. By default runners keep running (detached) for the next executor to adopt, and queued tasks are
   * dropped without an event: they never started, so the scheduler submits them again. With `stopTasks`, queued
   * and running tasks are stopped and their `finished` events emitted before it resolves.
   */
  close(options: { stopTasks?: boolean } = {}): Promise<void> {
    this.#closing ??= this.#close(options.stopTasks ?? false);
    return this.#closing;
  }

  async #close(stopTasks: boolean): Promise<void> {
    if (stopTasks) {
      const ids = [...this.#queue.keys(), ...this.#running.keys()];
      await Promise.all(ids.map((id) => this.stop(id)));
    }
    this.#closed = true;
    this.#o.clock.clearTimeout(this.#pollTimer);
    for (const entry of this.#running.values()) {
      this.#clearTimers(entry);
      entry.child?.unref(); // the scheduler may exit while its tasks go on
    }
    this.#running.clear();
    this.#queue.clear();
    for (const resolvers of this.#waiters.values()) resolvers.forEach((resolve) => resolve());
    this.#waiters.clear();
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new AIFlowError('CLIENT_CLOSED', 'the task executor is closed');
  }

  #isKnown(id: number): boolean {
    return this.#queue.has(id) || this.#running.has(id) || this.#finished.has(id);
  }

  #pump(): void {
    if (this.#pumping) return; // a launch that fails finishes at once and calls back here
    this.#pumping = true;
    try {
      // Nothing new starts once closing began (close with stopTasks frees slots as it stops tasks).
      while (this.#closing === undefined && this.#running.size < this.#o.parallelism) {
        const next = this.#queue.values().next();
        if (next.done === true) break;
        this.#queue.delete(next.value.taskExecutionId);
        this.#launch(next.value);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #launch(request: SubmitRequest): void {
    const id = request.taskExecutionId;
    const files = taskFiles(this.#o.dataDir, id);
    const spec: RunnerSpec = {
      taskExecutionId: id,
      operator: request.operator,
      env: request.env,
      logFile: files.log,
      statusFile: files.status,
      stopFile: files.stop,
      ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
    };
    crashPoint('before-claim');
    let claimed: boolean;
    try {
      mkdirSync(this.#o.dataDir, { recursive: true });
      // The claim: at most one executor launches an id; written whole or not at all, so a relaunch can trust it.
      claimed = createJsonExclusive(files.spec, spec);
    } catch (error) {
      return this.#finish(id, failure(`cannot start the task: ${errorReason(error)}`));
    }
    if (!claimed && this.#followLaunch(request)) return;
    crashPoint('after-claim');
    this.#spawn(request, files);
  }

  /** Spawns the runner of a claimed task execution. */
  #spawn(request: SubmitRequest, files: TaskFiles): void {
    const id = request.taskExecutionId;
    let child: ChildProcess;
    if (request.cwd !== undefined && !existsSync(request.cwd)) {
      // spawn would report it only as a missing pid: say what is wrong.
      return this.#finish(
        id,
        this.#readEnd(files, undefined, failure(`ENOENT: no folder ${request.cwd} to run in`)),
      );
    }
    try {
      const logFd = openSync(files.log, 'a');
      try {
        const options = {
          detached: true, // its own process group: one signal reaches the task and all it started
          stdio: ['ignore', logFd, logFd] as ['ignore', number, number], // the runner's own failures too
        };
        child =
          request.operator.type === 'bash'
            ? spawn('bash', shellRunnerArgs(request.operator.command, files), {
                ...options,
                env: { ...process.env, ...request.env },
                ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
              })
            : spawn(
                process.execPath,
                [
                  ...userModuleNodeFlags(import.meta.url, request.operator.moduleFile, TSX_LOADER),
                  RUNNER_FILE,
                  files.spec,
                ],
                options,
              );
      } finally {
        closeSync(logFd);
      }
    } catch (error) {
      return this.#finish(id, this.#readEnd(files, undefined, failure(errorReason(error))));
    }
    child.on('error', () => {}); // a failed kill() is reported here; the exit decides the outcome
    const pid = child.pid;
    if (pid === undefined) {
      return this.#finish(id, this.#readEnd(files, undefined, failure('cannot spawn the task runner')));
    }
    crashPoint('after-spawn');
    const startTime = this.#o.clock.now();
    try {
      writeJsonAtomic(files.pid, { pid, startTime }); // lets a resubmit after a crash find the runner
    } catch {
      // The scheduler's record of `started` and the runner's start file are other ways back to this runner.
    }
    crashPoint('after-pid');
    const entry = this.#track({ id, pid, startTime, timeoutMs: request.timeoutMs, files, child });
    child.once('exit', (code, signal) => this.#onExit(entry, code, signal));
    this.emit('started', { taskExecutionId: id, pid });
  }

  /**
   * A submit of an id whose spec file exists: an earlier executor claimed it. Follows its runner if one is alive;
   * finishes it from its files if its runner began and is gone. Returns false if it never began (the executor died
   * between the claim and the runner's first act): the caller then starts it, and the runner's exclusive start
   * file keeps that start the only one.
   */
  #followLaunch(request: SubmitRequest): boolean {
    const id = request.taskExecutionId;
    const files = taskFiles(this.#o.dataDir, id);
    const runner = liveRunner(files, true);
    if (runner !== undefined) {
      this.#watch({ taskExecutionId: id, ...runner, timeoutMs: request.timeoutMs });
      this.emit('started', { taskExecutionId: id, pid: runner.pid });
      this.#poll();
      return true;
    }
    if (!hasBegun(files)) return false;
    // It ran while nobody watched: report its start too, so that its statuses tell what happened.
    const pid = readStart(files.started)?.pid ?? readQuietly(files.pid, isProcessRecord)?.pid;
    if (pid !== undefined) this.emit('started', { taskExecutionId: id, pid });
    this.#finish(id, this.#readEnd(files, undefined, failure('task process disappeared')));
    return true;
  }

  #watch(record: Required<AdoptRecord>): void {
    const files = taskFiles(this.#o.dataDir, record.taskExecutionId);
    const entry = this.#track({ ...record, id: record.taskExecutionId, files, child: undefined });
    // An earlier executor was killing it when it closed: finish the job (a repeated SIGTERM is harmless).
    const stop = readQuietly(files.stop, isStopRequest);
    if (stop !== undefined) this.#kill(entry, stop);
  }

  #track(e: Omit<Entry, 'stop' | 'deadline' | 'killTimer'>): Entry {
    const entry: Entry = { ...e, stop: undefined, deadline: undefined, killTimer: undefined };
    this.#running.set(entry.id, entry);
    if (entry.timeoutMs !== null) {
      const timeoutMs = entry.timeoutMs;
      const remaining = Math.max(0, entry.startTime + timeoutMs - this.#o.clock.now());
      entry.deadline = this.#o.clock.setTimeout(
        () => this.#kill(entry, { status: 'failed', reason: timeoutReason(timeoutMs) }),
        remaining,
      );
    }
    return entry;
  }

  /** SIGTERM to the group now, SIGKILL after the grace period. The stop request on file tells the runner why. */
  #kill(entry: Entry, request: StopRequest): void {
    if (entry.stop !== undefined || this.#running.get(entry.id) !== entry) return;
    entry.stop = request;
    try {
      writeJsonAtomic(entry.files.stop, request);
    } catch {
      // The runner then reports a plain stop; the kill matters more than its wording.
    }
    this.#signal(entry, 'SIGTERM');
    entry.killTimer = this.#o.clock.setTimeout(() => this.#signal(entry, 'SIGKILL'), this.#o.stopGraceMs);
  }

  #signal(entry: Entry, signal: NodeJS.Signals): void {
    // Our child's pid cannot be reused before its exit event; an adopted pid could be, so check it is our runner.
    if (entry.child === undefined && !isRunnerAlive(entry.pid, entry.files.spec)) return;
    try {
      signalGroup(entry.pid, signal);
    } catch {
      // EPERM: nothing more this process can do; the exit or the poll still ends the task
    }
  }

  #onExit(entry: Entry, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#running.get(entry.id) !== entry) return; // closed meanwhile
    crashPoint('after-exit-file');
    const winner = code === ALREADY_STARTED_EXIT_CODE ? liveRunner(entry.files, false) : undefined;
    if (winner !== undefined && winner.pid !== entry.pid) {
      // Another runner of this id (started by an executor that died before recording it) began it first.
      this.#running.delete(entry.id);
      this.#clearTimers(entry);
      this.#watch({ taskExecutionId: entry.id, ...winner, timeoutMs: entry.timeoutMs });
      this.#poll();
      return;
    }
    // What the task started in the background must not outlive its status (the group id is still reserved
    // while any of them lives, so this cannot reach another program's group).
    this.#signal(entry, 'SIGKILL');
    const reason =
      signal !== null
        ? `task runner killed by signal ${signal}`
        : `task runner exited with code ${code} without a status`;
    this.#finish(entry.id, this.#readEnd(entry.files, entry.stop, failure(reason, code, signal)));
  }

  /** Finds the end of adopted runners; re-arms itself while there are some. */
  #poll(): void {
    this.#o.clock.clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    if (this.#closed) return;
    for (const entry of [...this.#running.values()]) {
      if (entry.child !== undefined || isRunnerAlive(entry.pid, entry.files.spec)) continue;
      this.#finish(entry.id, this.#readEnd(entry.files, entry.stop, failure('task process disappeared')));
    }
    const adopted = [...this.#running.values()].some((e) => e.child === undefined);
    if (adopted && !this.#closed)
      this.#pollTimer = this.#o.clock.setTimeout(() => this.#poll(), this.#o.pollIntervalMs);
  }

  /**
   * How a runner that is gone ended: its status file when it wrote one. Otherwise (killed, crashed, never
   * started) the stop's verdict if it was being killed, else `fallback`; written as the status file so anyone
   * reading it later (a resubmit, an adopt) agrees.
   */
  #readEnd(files: TaskFiles, stop: StopRequest | undefined, fallback: TaskOutcome): TaskOutcome {
    const end = readQuietly(files.status, isTaskEnd);
    if (end !== undefined)
      return { status: end.status, exitCode: end.exitCode, signal: end.signal, reason: end.reason };
    // A bash task's shell runner leaves its exit code; the status is written here from it.
    const exitCode = readExitCode(files.exit);
    const work = exitCode === undefined ? fallback : exitOutcome(exitCode, null);
    const outcome = settleOutcome(work, stop ?? readQuietly(files.stop, isStopRequest), false);
    try {
      writeJsonAtomic(files.status, { ...outcome, endTime: this.#o.clock.now() });
    } catch {
      // The event still carries the outcome.
    }
    return outcome;
  }

  #finish(id: number, outcome: TaskOutcome): void {
    const entry = this.#running.get(id);
    if (entry !== undefined) this.#clearTimers(entry);
    this.#running.delete(id);
    this.#finished.add(id);
    try {
      this.emit('finished', { taskExecutionId: id, ...outcome });
    } finally {
      // Even if a listener threw: the waiters and the queue must not stall.
      this.#waiters.get(id)?.forEach((resolve) => resolve());
      this.#waiters.delete(id);
      this.#pump();
    }
  }

  #waitFor(id: number): Promise<void> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(id) ?? [];
      list.push(resolve);
      this.#waiters.set(id, list);
    });
  }

  #clearTimers(entry: Entry): void {
    this.#o.clock.clearTimeout(entry.deadline);
    this.#o.clock.clearTimeout(entry.killTimer);
  }
}

function failure(reason: string, exitCode: number | null = null, signal: string | null = null): TaskOutcome {
  return { status: 'failed', exitCode, signal, reason };
}

/** A file the executor cannot read counts as absent: the fallback outcome applies. */
function readQuietly<T>(file: string, isValid: (value: unknown) => value is T): T | undefined {
  try {
    return readJson(file, isValid);
  } catch {
    return undefined;
  }
}

/**
 * The runner of a claimed execution that is still alive: the pid its executor recorded, the pid in its start file,
 * or (with `scan`) a process whose command line names its spec file: a runner spawned by an executor that died
 * before recording anything, and still starting up.
 */
function liveRunner(files: TaskFiles, scan: boolean): { pid: number; startTime: number } | undefined {
  const recorded = readQuietly(files.pid, isProcessRecord);
  const start = readStart(files.started);
  const startTime = recorded?.startTime ?? start?.time ?? Date.now();
  for (const pid of [recorded?.pid, start?.pid]) {
    if (pid !== undefined && isRunnerAlive(pid, files.spec)) return { pid, startTime };
  }
  // A start file with a pid names the runner that began: if that one is gone, no other can be running it.
  const found = scan && start?.pid === undefined ? findRunner(files.spec) : undefined;
  return found === undefined ? undefined : { pid: found, startTime };
}

/** Whether a runner began the execution's work: its start file, or an end it left. */
function hasBegun(files: TaskFiles): boolean {
  return [files.started, files.status, files.exit].some((file) => existsSync(file));
}
