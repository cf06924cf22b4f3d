import { readFileSync } from 'node:fs';

/**
 * Whether process `pid` exists and has not exited. `process.kill(pid, 0)` alone also answers yes for a zombie: a
 * process that exited but was not reaped yet, as the orphaned children of a killed server are until init reaps
 * them (some inits never do). Where /proc exists a zombie (state Z or X) counts as gone.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: another user's process
  }
  const state = processState(pid);
  // No /proc (macOS and others): kill(0) is all there is. Gone between the two checks: not running.
  if (state === undefined) return !hasProc();
  return state !== 'Z' && state !== 'X';
}

/** The state letter of `pid` in /proc (`R`, `S`, `Z`…); undefined when it has none (gone, or no /proc). */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

let procMounted: boolean | undefined;
function hasProc(): boolean {
  procMounted ??= (() => {
    try {
      readFileSync('/proc/self/stat');
      return true;
    } catch {
      return false;
    }
  })();
  return procMounted;
}
