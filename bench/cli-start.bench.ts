/**
 * Start-up cost of the compiled CLI: `aiflow --version` and `aiflow event send` against a real broker, each run N
 * times as its own process (hyperfine-style: wall time from spawn to exit), next to `node -e ''`. Prints the median
 * of each, the CLI's own time (median minus node's) and the ratio to node. Runs `dist/cli/main.js`, what the
 * installed `aiflow` binary imports: build first (`npm run build`).
 *
 *   npm run bench:cli [-- --runs 20]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger, startBroker } from '../broker/index.ts';
import { installedEnv, timeNode } from './shared.ts';
import { spread } from './stats.ts';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);

const dir = mkdtempSync(join(tmpdir(), 'aiflow-cli-bench-'));
const broker = await startBroker({ dbFile: join(dir, 'events.db'), port: 0, logger: createLogger('error') });
try {
  const env = installedEnv();
  const commands: Array<[string, string[]]> = [
    ["node -e ''", ['-e', '']],
    ['aiflow --version', [CLI, '--version']],
    [
      'aiflow event send',
      [CLI, 'event', 'send', 'bench-key', '1', '--server', broker.url, '--namespace', 'bench'],
    ],
  ];
  const samples = new Map<string, number[]>(commands.map(([name]) => [name, []]));
  // Interleaved rounds: a load change on the machine weighs on every command alike.
  for (let round = 0; round < runs; round++) {
    for (const [name, args] of commands) samples.get(name)!.push(await timeNode(args, env));
  }
  const node = spread(samples.get("node -e ''")!).median;
  console.log(`runs: ${runs} of each (median, min-max, ms)`);
  for (const [name] of commands) {
    const s = spread(samples.get(name)!);
    const own = s.median - node;
    const extra = name.startsWith('node')
      ? ''
      : `  own ${own.toFixed(0)} ms  ratio ${(s.median / node).toFixed(2)}`;
    console.log(
      `${name.padEnd(18)} ${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)})${extra}`,
    );
  }
} finally {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}
