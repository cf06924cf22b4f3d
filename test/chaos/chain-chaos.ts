// The server killed with SIGKILL at random moments under a chain workflow, restarted on the same home each time;
// then every start is counted from what the tasks themselves wrote. Used by the suite and by `npm run chaos`.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIFlowNotificationClient } from '../../client/index.ts';
import { FINISHED_WORKFLOW_EXECUTION_STATUSES } from '../../protocol/status.ts';
import {
  deferred,
  freePort,
  HANG_GUARD_MS,
  launchServerProcess,
  runCliCaptured,
  withinHangGuard,
  type ServerProcess,
} from '../support.ts';
import { leftoverProcesses } from './leftover-processes.ts';
import { seededRandom } from './seeded-random.ts';

export const CHAOS_WORKFLOW = 'chaos_chain';

export interface ChaosOptions {
  /** Kills to make. */
  kills: number;
  /**
   * Stop killing once this much time went by in the kill phase, after at least `minKills` kills: on a slow machine a
   * server restart costs seconds, and the suite's run must stay bounded. No budget by default.
   */
  killPhaseBudget?: { ms: number; minKills: number };
  seed: number;
  /** Tasks in the chain. @defaultValue 7 */
  tasks?: number;
  /** Longest wait between a server's start and its kill. @defaultValue 1500 */
  maxKillDelayMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  /** Kills made. */
  kills: number;
  /** Every execution of the chain workflow at the end, with its final status. */
  executions: { id: number; status: string }[];
  /** Task starts counted from the tasks' own file. */
  starts: number;
  /** Everything that broke a guarantee; empty when the run held. */
  problems: string[];
  home: string;
}

interface ExecutionRow {
  id: number;
  status: string;
}

/** A workflow of `tasks` bash tasks in a row; each appends "<task> <execution id> <task execution id>" to `file`. */
function chainWorkflowSource(tasks: number, file: string): string {
  return [
    `import { Workflow, type Task } from 'aiflow-mqtt/workflow';`,
    `const chain = new Workflow('${CHAOS_WORKFLOW}');`,
    `let previous: Task | undefined;`,
    `for (let i = 1; i <= ${tasks}; i++) {`,
    '  const append = `echo "t${i} $AIFLOW_WORKFLOW_EXECUTION_ID $AIFLOW_TASK_EXECUTION_ID" >> ' +
      `'${file}'` +
      '`;',
    // Tasks of different lengths, so that kills land in every phase: spawn, run, exit, status commit.
    '  const task = chain.bash(`t${i}`, `${append}; sleep 0.${i % 3}`);',
    `  if (previous) task.startAfter(previous);`,
    `  previous = task;`,
    `}`,
    `export default chain;`,
    ``,
  ].join('\n');
}

export async function runChainChaos(options: ChaosOptions): Promise<ChaosReport> {
  const tasks = options.tasks ?? 7;
  const maxKillDelayMs = options.maxKillDelayMs ?? 1500;
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const home = mkdtempSync(join(tmpdir(), 'aiflow-chaos-'));
  const startsFile = join(home, 'starts.log');
  const workflowFile = join(home, 'chain.ts');
  writeFileSync(workflowFile, chainWorkflowSource(tasks, startsFile));
  writeFileSync(startsFile, '');
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const cli = (...argv: string[]) => runCliCaptured([...argv, '-s', url]);
  const problems: string[] = [];
  const acknowledged = new Set<number>();
  // Start requests cut by a kill are resent by the client after the next start: they settle later.
  const pendingStarts: Promise<void>[] = [];
  const startExecution = () =>
    cli('workflow-execution', 'start', CHAOS_WORKFLOW, '-o', 'json').then((r) => {
      if (r.code === 0) acknowledged.add((JSON.parse(r.stdout) as { id: number }).id);
    });
  // Every process the server starts inherits AIFLOW_HOME, so a leftover is recognised by its environment.
  const launch = async (): Promise<ServerProcess> => {
    const server = launchServerProcess({ home, port, env: { AIFLOW_HOME: home } });
    try {
      await withinHangGuard(server.ready, 'the server did not listen');
    } catch (error) {
      server.child.kill('SIGKILL');
      throw error;
    }
    return server;
  };

  let server = await launch();
  try {
    const uploaded = await cli('workflow', 'upload', workflowFile);
    if (uploaded.code !== 0) throw new Error(`upload failed: ${uploaded.stderr}`);
    const began = Date.now();
    const elapsed = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;
    const budget = options.killPhaseBudget;
    let kills = 0;
    while (kills < options.kills) {
      if (budget && kills >= budget.minKills && Date.now() - began >= budget.ms) {
        log(`kill budget of ${budget.ms} ms spent after ${kills} kills`);
        break;
      }
      kills++;
      if (random() < 0.6) pendingStarts.push(startExecution());
      const delayMs = Math.floor(random() * maxKillDelayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs)); // the random moment is the point here
      const exited = once(server.child, 'exit');
      server.child.kill('SIGKILL');
      await withinHangGuard(exited, `kill ${kills}: the server did not exit after SIGKILL`);
      log(
        `${elapsed()}: kill ${kills}/${options.kills} after ${delayMs} ms (${acknowledged.size} executions acknowledged)`,
      );
      server = await launch();
    }
    await withinHangGuard(Promise.all(pendingStarts), 'start requests cut by kills did not settle');
    if (acknowledged.size === 0) await startExecution(); // so that there is something to check
    log(`${elapsed()}: kills done; waiting for ${acknowledged.size}+ executions to finish`);
    const executions = await waitUntilAllFinished(url, cli);
    problems.push(...checkExecutions(executions, acknowledged));
    const starts = readFileSync(startsFile, 'utf8').split('\n').filter(Boolean);
    problems.push(...checkStarts(starts, executions, tasks));

    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await withinHangGuard(exited, 'the server did not exit after SIGTERM');
    const leftovers = await leftoverProcesses(home);
    for (const p of leftovers) {
      problems.push(`process ${p.pid} left behind: ${p.commandLine}`);
      process.kill(p.pid, 'SIGKILL');
    }
    return { seed: options.seed, kills, executions, starts: starts.length, problems, home };
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
}

/**
 * Resolves with every execution once all are finished, re-checking at each status event of the workflow; fails
 * when no status changed for HANG_GUARD_MS.
 */
async function waitUntilAllFinished(
  url: string,
  cli: (...argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>,
): Promise<ExecutionRow[]> {
  const client = await withinHangGuard(
    AIFlowNotificationClient.connect({ server: url }),
    'the listener for the final statuses did not connect',
  );
  const allFinished = deferred();
  let latest: ExecutionRow[] = [];
  // One listing at a time, and at most one more after it however many status events arrived meanwhile: the
  // listener replays every status event of the run, and one listing per event would queue minutes of listings.
  let checking: Promise<void> | null = null;
  let again = false;
  let done = false;
  const listOnce = async () => {
    const listed = await cli('workflow-execution', 'list', CHAOS_WORKFLOW, '-o', 'json');
    if (listed.code !== 0) return;
    latest = JSON.parse(listed.stdout) as ExecutionRow[];
    if (latest.every((e) => FINISHED_WORKFLOW_EXECUTION_STATUSES.has(e.status as never)))
      allFinished.resolve();
  };
  const recheck = () => {
    if (checking) {
      again = true;
      return;
    }
    checking = (async () => {
      try {
        do {
          again = false;
          await listOnce();
        } while (again && !done);
      } finally {
        checking = null;
      }
    })();
  };
  const guard = setTimeout(() => {
    const live = latest.filter((e) => !FINISHED_WORKFLOW_EXECUTION_STATUSES.has(e.status as never));
    allFinished.reject(
      new Error(`executions not finished, no status change for ${HANG_GUARD_MS} ms: ${JSON.stringify(live)}`),
    );
  }, HANG_GUARD_MS);
  try {
    const workflowKey = `$workflow/${CHAOS_WORKFLOW}`;
    await client.registerListener({
      process: (events) => {
        guard.refresh(); // the guard counts from the last status change: a busy machine is slow, not stuck
        if (events.some((event) => event.key === workflowKey)) recheck();
      },
    });
    recheck();
    await allFinished.promise;
    return latest;
  } finally {
    done = true;
    clearTimeout(guard);
    // No listing left in flight when the server is stopped next.
    if (checking) await withinHangGuard(checking, 'the last listing did not end').catch(() => undefined);
    await client.close();
  }
}

function checkExecutions(executions: ExecutionRow[], acknowledged: Set<number>): string[] {
  const problems: string[] = [];
  const listed = new Set(executions.map((e) => e.id));
  for (const id of acknowledged) {
    if (!listed.has(id)) problems.push(`execution ${id} was acknowledged but is gone`);
  }
  for (const e of executions) {
    if (e.status !== 'success') problems.push(`execution ${e.id} ended ${e.status}`);
  }
  return problems;
}

/** Each task of each execution started exactly once, and no start belongs to an unknown execution. */
function checkStarts(lines: string[], executions: ExecutionRow[], tasks: number): string[] {
  const problems: string[] = [];
  const counts = new Map<string, number>();
  for (const line of lines) {
    const [task, executionId] = line.split(' ');
    const key = `${executionId}/${task}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const expected = new Set<string>();
  for (const e of executions) {
    for (let i = 1; i <= tasks; i++) {
      const key = `${e.id}/t${i}`;
      expected.add(key);
      const count = counts.get(key) ?? 0;
      if (count === 0) problems.push(`task t${i} of execution ${e.id} never started (lost)`);
      if (count > 1) problems.push(`task t${i} of execution ${e.id} started ${count} times`);
    }
  }
  for (const key of counts.keys()) {
    if (!expected.has(key)) problems.push(`a start of ${key} belongs to no listed execution`);
  }
  return problems;
}

/** Removes the run's folder (a failed run keeps it for inspection). */
export function removeChaosHome(report: ChaosReport): void {
  rmSync(report.home, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}
