import { existsSync, readdirSync, readFileSync } from 'node:fs';

const HAS_PROC = existsSync('/proc/self/cmdline');

/**
 * Sends a signal to every process of the group led by `pid` (a runner is started detached, so it leads its group
 * and its bash child and grandchildren belong to it). Returns false when the group no longer exists.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Whether `pid` is still the runner of the task whose spec file is `specFile`.
 * `process.kill(pid, 0)` alone is not enough for a process another executor started: after a reboot the pid may
 * belong to an unrelated process (which a stop must never signal), and an exited child of a still-running
 * executor stays a zombie until it is reaped. Where /proc exists the command line settles both.
 */
export function isRunnerAlive(pid: number, specFile: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH: gone; EPERM: another user's process, so not our runner
  }
  if (!HAS_PROC) return true; // macOS and others: kill(0) is all there is
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false; // it went away between the two checks
  }
  return cmdline.split('\0').includes(specFile); // empty for a zombie
}

/**
 * The pid of a live process whose command line names `specFile` (a runner names its spec file), found by scanning
 * /proc; undefined when there is none or no /proc. This finds a runner whose pid was never recorded: its
 * executor died right after spawning it.
 */
export function findRunner(specFile: string): number | undefined {
  if (!HAS_PROC) return undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid !== process.pid && isRunnerAlive(pid, specFile)) return pid;
  }
  return undefined;
}
