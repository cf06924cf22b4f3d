// `npm run chaos -- --kills 200 [--tasks 7] [--seed N]`: the long version of the chaos test, with progress output.
import { parseArgs } from 'node:util';
import { removeChaosHome, runChainChaos } from './chain-chaos.ts';
import { chaosSeed } from './seeded-random.ts';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    tasks: { type: 'string', default: '7' },
    seed: { type: 'string' },
  },
});
const positive = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
};
const kills = positive('kills', values.kills);
const tasks = positive('tasks', values.tasks);
const seed = chaosSeed(values.seed === undefined ? process.env : { AIFLOW_CHAOS_SEED: values.seed });
const began = Date.now();
console.log(`chaos: ${kills} kills, ${tasks} tasks per chain, seed ${seed}`);
const report = await runChainChaos({ kills, tasks, seed, log: (line) => console.log(line) });
const seconds = ((Date.now() - began) / 1000).toFixed(0);
const statuses = report.executions.map((e) => e.status);
console.log(
  `chaos: ${report.executions.length} executions (${statuses.filter((s) => s === 'success').length} success), ` +
    `${report.starts} task starts, ${seconds} s`,
);
if (report.problems.length > 0) {
  for (const problem of report.problems) console.log(`  problem: ${problem}`);
  console.log(
    `chaos FAILED with seed ${seed} (rerun: AIFLOW_CHAOS_SEED=${seed}); files kept in ${report.home}`,
  );
  process.exitCode = 1;
} else {
  removeChaosHome(report);
  console.log('chaos: every execution succeeded, every task started exactly once, no process left behind');
}
