import { spawn } from 'node:child_process';
import { exitOutcome } from './outcome.ts';
import type { TaskOutcome } from './task-files.ts';

export interface RunningWork {
  /** Settles with how the work ended on its own (the runner accounts for a stop). */
  done: Promise<TaskOutcome>;
  /** Asks the work to end: SIGTERM for bash, an abort for a function. */
  stop(): void;
}

/**
 * `bash -c <command>` as a child of the runner, in the runner's process group (no `detached`), so the executor's
 * signal to the group reaches the command and everything it started.
 */
export function startBashTask(command: string, logFd: number): RunningWork {
  const child = spawn('bash', ['-c', command], { stdio: ['ignore', logFd, logFd] });
  const done = new Promise<TaskOutcome>((resolve) => {
    child.once('error', (error) =>
      resolve({
        status: 'failed',
        exitCode: null,
        signal: null,
        reason: `cannot run bash: ${error.message}`,
      }),
    );
    child.once('exit', (code, signal) => resolve(exitOutcome(code, signal)));
  });
  return {
    done,
    stop() {
      // Normally the whole group already got the executor's SIGTERM. When only the runner was signalled, pass
      // it on to the group (the runner included, whose handler ignores a repeat); when the runner does not lead
      // a group (started by hand), to bash alone.
      try {
        process.kill(-process.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    },
  };
}
