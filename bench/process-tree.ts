/**
 * A process and everything it started, read from /proc: resident memory, CPU time, and a clean kill. The
 * benchmark sees a server only as users do (a process it started), so whether the server runs its scheduler, its
 * event log or its condition sandboxes in child processes or in threads, they are all counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time since boot, in clock ticks: with the pid, it names one process even if the pid is reused. */
  startTicks: number;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times; 100 on every common architecture. */
const TICKS_PER_SECOND = 100;

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone, or not ours to read
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return { pid, ppid: field(4), cpuTicks: field(14) + field(15), startTicks: field(22) };
}

/** `root` and its descendants that are alive now (a scan of /proc: children of children included). */
export function processTree(root: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) all.push(stat);
  }
  const byParent = new Map<number, ProcStat[]>();
  for (const stat of all) byParent.set(stat.ppid, [...(byParent.get(stat.ppid) ?? []), stat]);
  const rootStat = all.find((s) => s.pid === root);
  if (!rootStat) return [];
  const tree = [rootStat];
  for (let i = 0; i < tree.length; i++) tree.push(...(byParent.get(tree[i]!.pid) ?? []));
  return tree;
}

/** VmRSS of one process in bytes (0 if it is gone). */
function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of `root` and all its descendants, in bytes (pages they share are counted once per process). */
export function treeRss(root: number): number {
  return processTree(root).reduce((sum, p) => sum + rssOf(p.pid), 0);
}

/** CPU seconds used so far by the live processes of the tree. */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, p) => sum + p.cpuTicks, 0) / TICKS_PER_SECOND;
}

/**
 * Waits until the tree uses less than `maxShare` of one core over `windowMs` (a server still working off a
 * backlog would slow down whatever is measured next), or `timeoutMs` has passed. Returns false on time-out.
 */
export async function waitUntilIdle(
  root: number,
  options: { maxShare?: number; windowMs?: number; timeoutMs?: number } = {},
): Promise<boolean> {
  const { maxShare = 0.05, windowMs = 500, timeoutMs = 60_000 } = options;
  const deadline = performance.now() + timeoutMs;
  let before = treeCpuSeconds(root);
  while (performance.now() < deadline) {
    await sleep(windowMs);
    const now = treeCpuSeconds(root);
    if (now - before < (maxShare * windowMs) / 1000) return true;
    before = now;
  }
  return false;
}

/** Kills the processes listed (taken from `processTree` earlier), skipping any whose pid now names another one. */
export function killProcesses(processes: ProcStat[]): number {
  let killed = 0;
  for (const p of processes) {
    if (readStat(p.pid)?.startTicks !== p.startTicks) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      killed += 1;
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

export type { ProcStat };
