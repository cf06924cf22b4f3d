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
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (error) {
    // No /proc (macOS and others): kill(0) is all there is. Gone between the two checks: not running.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !hasProc();
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
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
