/**
 * What users run, measured: `aiflow server start` in its own process beside raw Aedes and Mosquitto in theirs
 * (broker figures), then the scheduler inside `server start` (one event to N waiting executions, a 40-task chain,
 * memory per live execution). See bench/README.md.
 *
 *   node --import tsx bench/server.bench.ts [--quick] [--only broker|scheduler] [--fan-out N]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BROKER_SETTINGS, brokerFigures } from './broker-figures.ts';
import { figuresTable, tableText, type SectionResult } from './report.ts';
import { SCHEDULER_SETTINGS, schedulerFigures } from './scheduler-figures.ts';
import { fileSystemOf, machineInfo, progress } from './shared.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    // The fan-out sizes: N=1 (the reference) and N, one round of N, instead of the mode's list.
    'fan-out': { type: 'string' },
  },
});
const sections = ['broker', 'scheduler'] as const;
type Section = (typeof sections)[number];
if (args.only !== undefined && !sections.includes(args.only as Section)) {
  throw new Error(`--only must be one of ${sections.join(', ')}, got ${JSON.stringify(args.only)}`);
}
const mode = args.quick ? 'quick' : 'full';
const fanOutSize = args['fan-out'] === undefined ? undefined : Number(args['fan-out']);
if (fanOutSize !== undefined && !(Number.isSafeInteger(fanOutSize) && fanOutSize >= 1)) {
  throw new Error(`--fan-out must be a positive integer, got ${JSON.stringify(args['fan-out'])}`);
}
const schedulerSettings =
  fanOutSize === undefined
    ? SCHEDULER_SETTINGS[mode]
    : {
        ...SCHEDULER_SETTINGS[mode],
        fanOut: [SCHEDULER_SETTINGS[mode].fanOut[0]!, { executions: fanOutSize, rounds: 1 }],
      };
const wanted = (section: Section) => args.only === undefined || args.only === section;
const commandFor = (section: Section) => `npm run bench:${section}${args.quick ? ' -- --quick' : ''}`;

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return dirty.trim() === '' ? head : `${head} (with uncommitted changes)`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const startedAt = new Date().toISOString();
  const measuredCommit = commit(); // now: the tree may change while the benchmark runs
  const dir = mkdtempSync(join(os.tmpdir(), 'aiflow-bench-'));
  // Also on process.exit (a signal): the finally below does not run then.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  const fs = fileSystemOf(dir);
  const machine = { ...machineInfo(), dataFileSystem: fs };
  progress(
    `${mode} run; data in ${dir} (${fs}); ${machine.cpus} CPUs; node ${process.version}; load ${machine.loadAverage1m?.toFixed(2)}`,
  );
  if (fs === 'tmpfs')
    progress('WARNING: the data is on tmpfs, where a disk sync costs nothing; set TMPDIR to a disk');
  if ((machine.loadAverage1m ?? 0) > 0.5) progress('WARNING: the machine is busy: expect noisier figures');

  const results: Partial<Record<Section, SectionResult>> = {};
  try {
    if (wanted('broker'))
      results.broker = await brokerFigures(BROKER_SETTINGS[mode], dir, commandFor('broker'));
    if (wanted('scheduler'))
      results.scheduler = await schedulerFigures(schedulerSettings, dir, commandFor('scheduler'));
  } finally {
    removeDir();
  }

  const done = Object.values(results);
  const measured = `${startedAt.slice(0, 10)}, commit ${measuredCommit}, ${mode} run, ${machine.cpus} × ${machine.cpu}`;
  const markdown = [
    `# aiflow benchmark (${measured})`,
    '',
    figuresTable(done.flatMap((r) => r.figures)),
    '',
    'Values are min / **median** / max over the rounds; ratios compare medians of the same run.',
    ...done.flatMap((r) => r.tables.flatMap((t) => ['', tableText(t)])),
    ...(done.some((r) => r.failures.length > 0)
      ? ['', 'Not measured:', ...done.flatMap((r) => r.failures.map((f) => `- ${f}`))]
      : []),
    '',
  ].join('\n');
  process.stdout.write(markdown);

  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const base = join(resultsDir, `${args.only ?? 'server'}-${mode}-${startedAt.replace(/[:.]/g, '-')}`);
  const json = {
    startedAt,
    commit: measuredCommit,
    mode,
    machine,
    loadAverage1mAfter: os.loadavg()[0],
    ...results,
  };
  writeFileSync(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(`${base}.md`, markdown);
  progress(`results written to ${base}.json and ${base}.md`);
  // A figure that could not be measured is a broken run; a missed target is not.
  return done.some((r) => r.failures.length > 0) ? 1 : 0;
}

// process.exit, not a natural end: a client or timer a failed phase leaves behind must not keep the run alive.
process.exit(await main());
