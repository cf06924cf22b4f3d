/**
 * One task execution as a process of its own:
 *
 *     node --import tsx scheduler/executor/task-runner.ts <spec-file.json>
 *
 * (Installed, `node dist/scheduler/executor/task-runner.js <spec-file.json>`: the TypeScript loader only for a
 * snapshot whose module is TypeScript, one uploaded before modules were bundled.)
 * The executor starts it detached (it leads its own process group) with stdout and stderr on the task's log.
 * Its first act is to create the execution's start file exclusively (a second runner of the same execution exits
 * at once, doing nothing). It runs the work (a bash child in its group, or a function of the user's workflow module in-process), appends
 * the work's output to the log and, however the work ends (stop and timeout included), writes the status file
 * atomically before exiting. The status file is how the executor, or the next one after a restart, learns the end.
 */
import { openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startBashTask, type RunningWork } from './bash-task.ts';
import { startFunctionTask } from './function-task.ts';
import { errorOutcome, errorReason, settleOutcome } from './outcome.ts';
import {
  ALREADY_STARTED_EXIT_CODE,
  claimStart,
  isRunnerSpec,
  isStopRequest,
  readJson,
  taskFiles,
  writeJsonAtomic,
  type RunnerSpec,
  type TaskEnd,
  type TaskOutcome,
} from './task-files.ts';

let signalled = false;
let work: RunningWork | undefined;
let finished = false;

// Installed before anything slow (importing the user's module): without a handler a SIGTERM would end the runner
// with no status written. SIGINT is for a runner started by hand.
for (const name of ['SIGTERM', 'SIGINT'] as const) {
  process.on(name, () => {
    if (signalled) return; // our own forward to the group comes back here
    signalled = true;
    work?.stop();
  });
}

const specFile = process.argv[2];
const spec = loadSpec(specFile);
claimStartOrExit(taskFiles(dirname(resolve(specFile!)), spec.taskExecutionId).started);

// A user's function may throw from a callback outside its promise: that is the task failing, not a lost status.
process.on('uncaughtException', (error) => fail(error));
process.on('unhandledRejection', (error) => fail(error));

finish(await run(spec));

function loadSpec(file: string | undefined): RunnerSpec {
  try {
    const value = file === undefined ? undefined : readJson(file, isRunnerSpec);
    if (value !== undefined) return value;
  } catch {
    // reported below
  }
  // Without a spec there is no status file to write: the executor sees an exit without status.
  process.stderr.write(`task-runner: cannot read a task spec from ${String(file)}\n`);
  process.exit(2);
}

/** First act, before any of the task's work: a runner that cannot record that it began does not begin. */
function claimStartOrExit(file: string): void {
  let claimed: boolean;
  try {
    claimed = claimStart(file, process.pid);
  } catch (error) {
    process.stderr.write(`task-runner: cannot create ${file}: ${errorReason(error)}\n`);
    process.exit(3);
  }
  if (!claimed) process.exit(ALREADY_STARTED_EXIT_CODE); // another runner began this execution: it reports
}

async function run(s: RunnerSpec): Promise<TaskOutcome> {
  let logFd: number;
  try {
    logFd = openSync(s.logFile, 'a');
    if (s.cwd !== undefined) process.chdir(s.cwd);
  } catch (error) {
    return errorOutcome(error);
  }
  Object.assign(process.env, s.env);
  const notStarted: TaskOutcome = { status: 'failed', exitCode: null, signal: null, reason: 'not started' };
  if (signalled) return settleOutcome(notStarted, readStop(s), true);
  work =
    s.operator.type === 'bash'
      ? startBashTask(s.operator.command, logFd)
      : startFunctionTask(s.operator, s.taskExecutionId, logFd);
  const ended = await work.done;
  return settleOutcome(ended, readStop(s), signalled);
}

function readStop(s: RunnerSpec) {
  try {
    return readJson(s.stopFile, isStopRequest);
  } catch {
    return undefined;
  }
}

function fail(error: unknown): void {
  process.stderr.write(
    `task-runner: ${error instanceof Error ? (error.stack ?? errorReason(error)) : String(error)}\n`,
  );
  finish(settleOutcome(errorOutcome(error), readStop(spec), signalled));
}

/** Writes the status once and exits, whatever the user's code left open (timers, sockets). */
function finish(outcome: TaskOutcome): void {
  if (finished) return;
  finished = true;
  const end: TaskEnd = { ...outcome, endTime: Date.now() };
  try {
    writeJsonAtomic(spec.statusFile, end);
  } catch (error) {
    process.stderr.write(`task-runner: cannot write ${spec.statusFile}: ${errorReason(error)}\n`);
    process.exit(3);
  }
  process.exit(outcome.status === 'success' ? 0 : 1);
}
