import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { isProcessRunning } from '../scheduler/process-liveness.ts';
import { AIFLOW_BIN, deferred, freePort, ROOT, run, tempDir } from './helpers.ts';

export interface AiflowProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr contains `text`; rejects if the process exits first. */
  printed(text: string | RegExp): Promise<void>;
  /** Resolves with the exit code and signal. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Runs `aiflow <args>` as a real process (killed after the test if still running). */
export function spawnAiflow(t: TestContext, args: string[]): AiflowProcess {
  const child = spawn(process.execPath, [AIFLOW_BIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((w) => w());
  child.stdout!.on('data', (c: Buffer) => ((stdout += c.toString()), notify()));
  child.stderr!.on('data', (c: Buffer) => ((stderr += c.toString()), notify()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const printed = (text: string | RegExp) => {
    const seen = deferred();
    const check = () => {
      const all = stdout + stderr;
      if (typeof text === 'string' ? all.includes(text) : text.test(all)) seen.resolve();
    };
    watchers.add(check);
    check();
    void exited.then(([code, signal]) =>
      seen.reject(
        new Error(
          `aiflow ${args.join(' ')} exited (${signal ?? code}) before printing ${text}:\n${stdout}${stderr}`,
        ),
      ),
    );
    return seen.promise.finally(() => watchers.delete(check));
  };
  return { child, stdout: () => stdout, stderr: () => stderr, printed, exited };
}

/** `aiflow server start` as users run it: the broker here, the scheduler in a child process. */
export async function startServerCli(t: TestContext, extra: string[] = []) {
  const home = tempDir(t);
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const server = spawnAiflow(t, [
    'server',
    'start',
    '--port',
    String(port),
    '--no-ws',
    '--home',
    home,
    ...extra,
  ]);
  await server.printed('listening on');
  const schedulerPid = Number(/scheduler pid (\d+)/.exec(server.stdout())?.[1]);
  t.after(() => {
    if (isProcessRunning(schedulerPid)) process.kill(schedulerPid, 'SIGKILL');
  });
  // As a user on the server's machine: the CLI logs in with the admin credential of the server's home.
  const aiflow = (...args: string[]) =>
    run(process.execPath, [AIFLOW_BIN, ...args, '-s', url], { env: { AIFLOW_HOME: home } });
  return { home, url, server, schedulerPid, aiflow };
}
