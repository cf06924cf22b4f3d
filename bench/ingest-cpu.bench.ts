/**
 * Diagnosis: where the CPU of an ingest flood goes. Starts `aiflow server start` (or `--no-scheduler`), floods it as
 * the ingest figure does (20,000 QoS 1 events of 64 B, 4 publishers, 64 in flight each), and prints per round the
 * rate and the CPU seconds of each process of the server's tree (the server, its scheduler child, …) beside the
 * benchmark's own clients. On two cores the sum is what limits the rate.
 *
 *   node --import tsx bench/ingest-cpu.bench.ts [--no-scheduler] [--rounds N]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processTree } from './process-tree.ts';
import { startAiflowServer } from './targets.ts';
import { measureThroughput } from './workloads.ts';

const { values: args } = parseArgs({
  options: { 'no-scheduler': { type: 'boolean', default: false }, rounds: { type: 'string', default: '3' } },
});
const home = mkdtempSync(join(tmpdir(), 'aiflow-ingest-cpu-'));
const target = await startAiflowServer(home, !args['no-scheduler']);
const flood = (events: number) =>
  measureThroughput(target.url, { events, publishers: 4, window: 64, timeoutMs: 120_000 });
const ticks = () => new Map(processTree(target.pid).map((p) => [p.pid, p.cpuTicks]));
const name = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, 4).join(' ');
  } catch {
    return String(pid);
  }
};
try {
  await flood(5_000); // warm-up
  for (let round = 1; round <= Number(args.rounds); round++) {
    const before = ticks();
    const ownBefore = process.cpuUsage();
    const result = await flood(20_000);
    const own = process.cpuUsage(ownBefore);
    console.log(`round ${round}: ${Math.round(result.eventsPerSecond)} events/s`);
    for (const [pid, now] of ticks()) {
      const seconds = (now - (before.get(pid) ?? 0)) / 100;
      if (seconds > 0) console.log(`  ${name(pid)}: ${seconds.toFixed(2)} s CPU`);
    }
    console.log(`  benchmark clients: ${((own.user + own.system) / 1e6).toFixed(2)} s CPU`);
  }
} finally {
  await target.close();
  rmSync(home, { recursive: true, force: true });
}
