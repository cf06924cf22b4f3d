import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import type { CliIO } from '../../cli/io.ts';
import { runCli } from '../../cli/program.ts';
import { defaultParallelism } from '../../cli/scheduler-options.ts';
import { startServer } from '../../server/index.ts';
import { ManualClock } from '../manual-clock.ts';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    env,
    untilStopped: () => new Promise(() => undefined),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

test('--parallelism is validated on server start and scheduler start before anything starts', async () => {
  for (const command of [
    ['server', 'start'],
    ['scheduler', 'start'],
  ]) {
    for (const bad of ['0', '-1', '1.5', 'abc', '', '10001']) {
      const result = await cli([...command, '--parallelism', bad, '--home', '/nonexistent/never-created']);
      assert.equal(result.code, 1, `${command.join(' ')} --parallelism ${bad}`);
      assert.match(
        result.stderr,
        /option '--parallelism <n>' argument '.*' is invalid\. expected an integer from 1 to 10000\./,
      );
    }
  }
  // Commander reads option variables from the process environment.
  process.env.AIFLOW_PARALLELISM = 'many';
  const fromEnv = await cli(['scheduler', 'start']).finally(() => delete process.env.AIFLOW_PARALLELISM);
  assert.equal(fromEnv.code, 1);
  assert.match(fromEnv.stderr, /value 'many' from env 'AIFLOW_PARALLELISM' is invalid\. expected an integer/);
});

test('the default parallelism follows the cores, at least two, and shows in the help', async () => {
  assert.equal(defaultParallelism(), Math.max(2, availableParallelism()));
  const help = await cli(['server', 'start', '--help']);
  assert.match(
    help.stdout,
    new RegExp(`--parallelism <n>\\s+task processes running at once \\(default: ${defaultParallelism()},`),
  );
});

test('startServer refuses an unknown scheduler mode, and a store or clock for a scheduler out of process', async () => {
  const home = '/nonexistent/never-created';
  await assert.rejects(startServer({ home, schedulerMode: 'thread' as never }), {
    code: 'INVALID_OPTION',
    message: 'schedulerMode must be in-process, child-process, none, got thread',
  });
  await assert.rejects(
    startServer({ home, schedulerMode: 'child-process', scheduler: { clock: new ManualClock() } }),
    {
      code: 'INVALID_OPTION',
      message: 'store and clock apply to the in-process scheduler only',
    },
  );
});
