import assert from 'node:assert/strict';
import { test } from 'node:test';
import { removeChaosHome, runChainChaos } from '../chaos/chain-chaos.ts';
import { chaosSeed } from '../chaos/seeded-random.ts';

// Sized for CI; `npm run chaos -- --kills 200` runs the long version.
const KILLS = 30;

test(`SIGKILL of the server at ${KILLS} random moments under a chain: every task starts exactly once, nothing is left behind`, async (t) => {
  const seed = chaosSeed();
  t.diagnostic(`seed ${seed} (rerun with AIFLOW_CHAOS_SEED=${seed})`);
  const report = await runChainChaos({ kills: KILLS, seed, log: (line) => t.diagnostic(line) });
  assert.ok(report.executions.length > 0, `seed ${seed}: no execution was started`);
  assert.deepEqual(
    report.problems,
    [],
    `seed ${seed} (rerun with AIFLOW_CHAOS_SEED=${seed}); files kept in ${report.home}`,
  );
  removeChaosHome(report);
});
