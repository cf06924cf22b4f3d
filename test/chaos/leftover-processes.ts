import { readdirSync, readFileSync } from 'node:fs';

export interface LeftoverProcess {
  pid: number;
  commandLine: string;
}

function readProcFile(pid: string, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'latin1');
  } catch {
    return ''; // gone meanwhile, or another user's
  }
}

/** Processes (other than this one) whose command line or environment names `marker`, from /proc. */
export function processesNaming(marker: string): LeftoverProcess[] {
  const found: LeftoverProcess[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    const commandLine = readProcFile(pid, 'cmdline');
    if (commandLine.includes(marker) || readProcFile(pid, 'environ').includes(marker)) {
      found.push({ pid: Number(pid), commandLine: commandLine.split('\0').join(' ').trim() });
    }
  }
  return found;
}

/**
 * The processes still naming `marker` once the ones already exiting had a moment to go (a runner writes its exit
 * file and then exits): re-scans for up to `settleMs`, and returns what remains.
 */
export async function leftoverProcesses(marker: string, settleMs = 5_000): Promise<LeftoverProcess[]> {
  const until = Date.now() + settleMs;
  for (;;) {
    const found = processesNaming(marker);
    if (found.length === 0 || Date.now() >= until) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
