import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { removeChaosHome, runChainChaos } from '../chaos/chain-chaos.ts';
import { chaosSeed } from '../chaos/seeded-random.ts';

// Sized for CI: 30 kills (about a minute on an idle 2-core machine). On a very busy machine a restart takes
// several seconds, so the kills stop after 90 s, but never before 10. `npm run chaos -- --kills 200` runs the long version.
const KILLS = 30;
const KILL_PHASE_BUDGET = { ms: 90_000, minKills: 10 };

test('SIGKILL of the server at random moments under a chain: every task starts exactly once, nothing is left behind', async (t) => {
  const seed = chaosSeed();
  t.diagnostic(`seed ${seed} (rerun with AIFLOW_CHAOS_SEED=${seed})`);
  const report = await runChainChaos({
    kills: KILLS,
    killPhaseBudget: KILL_PHASE_BUDGET,
    seed,
    // Written as they happen (diagnostics show only once the test ends): a run cut by the file's time limit
    // still shows how far it got.
    log: (line) => process.stderr.write(`chaos: ${line}\n`),
  });
  t.diagnostic(`${report.kills} kills, ${report.executions.length} executions, ${report.starts} task starts`);
  assert.ok(report.executions.length > 0, `seed ${seed}: no execution was started`);
  assert.deepEqual(
    report.problems,
    [],
    `seed ${seed} (rerun with AIFLOW_CHAOS_SEED=${seed}); files kept in ${report.home}`,
  );
  removeChaosHome(report);
});

// What still holds this process once the run is over (the file ends anyway: `--test-force-exit`).
after(() => {
  const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');
  if (open.length > 0) process.stderr.write(`chaos: still open after the run: ${open.join(', ')}\n`);
});
