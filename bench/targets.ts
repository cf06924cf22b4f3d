/**
 * The brokers under test, each started as its own process, as a user would start it; the benchmark's clients run
 * in the benchmark process. Every target listens on 127.0.0.1 on a port the OS picked (never 1883).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ADMIN_CREDENTIAL_FILE,
  parseCredentialFile,
  type Credentials,
} from '../protocol/admin-credential.ts';
import { killProcesses, processTree } from './process-tree.ts';
import { progress, sleep } from './shared.ts';

/** Envelope: the aiflow server rewrites each payload to a JSON event; raw: the broker delivers it as sent. */
export type PayloadFormat = 'envelope' | 'raw';

export type TargetId = 'raw-aedes' | 'mosquitto' | 'server' | 'server-no-scheduler' | 'server-baseline';

/** A broker under test, running in its own process. */
export interface Target {
  id: TargetId;
  label: string;
  url: string;
  format: PayloadFormat;
  /** The process the benchmark started; the ones it starts are found under it (`process-tree.ts`). */
  pid: number;
  /** The admin login of an aiflow server (made at its first start, in its home); the baselines have none. */
  admin?: Credentials;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Started processes, and whatever they started, are killed on any exit, even one that skips the finally blocks
// (process.exit from a signal).
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.pid !== undefined) killProcesses(processTree(child.pid));
});

/** The environment without AIFLOW_* variables, so that a user's settings cannot change what is measured. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AIFLOW_')));
}

interface Started {
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Spawns `command`, waits until `port` accepts connections and `ready(stdout)` holds, and returns a `stop` that
 * sends SIGTERM, waits, then SIGKILLs the process and whatever it left behind (task processes a server keeps
 * running for its next start, for example).
 */
async function startProcess(
  name: string,
  command: string,
  args: string[],
  port: number,
  ready: (stdout: string) => boolean = () => true,
): Promise<Started> {
  const child = spawn(command, args, { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderrLines = 0;
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    // The first lines are worth seeing (why a start failed, a warning); a flood of them is not.
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      stderrLines += 1;
      if (stderrLines <= 5) progress(`[${name}] ${line}`);
      else if (stderrLines === 6) progress(`[${name}] (more lines on its stderr are not shown)`);
    }
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    const left = child.pid === undefined ? [] : processTree(child.pid).slice(1);
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
    const killed = killProcesses(left);
    if (killed > 0) progress(`${name}: killed ${killed} process(es) still running after it stopped`);
  };
  try {
    const dead = () => {
      if (spawnError) return `cannot start ${command}: ${spawnError.message}`;
      return running() ? undefined : `${name} exited (${child.exitCode ?? child.signalCode})`;
    };
    await waitForTcp(port, 60_000, dead);
    const deadline = performance.now() + 60_000;
    while (!ready(stdout)) {
      const reason = dead();
      if (reason) throw new Error(reason);
      if (performance.now() > deadline) throw new Error(`${name} did not say it was ready: ${stdout}`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, pid: child.pid!, stop };
}

/** Plain Aedes in memory, with Nagle off, in its own Node process (`aedes-process.ts`). */
export async function startRawAedes(): Promise<Target> {
  const port = await freePort();
  const script = join(ROOT, 'bench', 'aedes-process.ts');
  const started = await startProcess(
    'aedes',
    process.execPath,
    ['--import', 'tsx', script, String(port)],
    port,
  );
  return {
    id: 'raw-aedes',
    label: 'raw Aedes (in memory)',
    url: `mqtt://127.0.0.1:${port}`,
    format: 'raw',
    pid: started.pid,
    close: started.stop,
  };
}

/**
 * `node bin/aiflow.js server start`, as users start it, with a fresh home; `scheduler: false` adds
 * `--no-scheduler` (the broker and its event log alone). WebSocket is off so that two servers can run at once.
 */
export async function startAiflowServer(
  home: string,
  scheduler: boolean,
  /** Another checkout to run instead of this one (a before/after comparison in one run). */
  baseline?: string,
): Promise<Target> {
  const port = await freePort();
  const args = [join(baseline ?? ROOT, 'bin', 'aiflow.js'), 'server', 'start', '--port', String(port)];
  args.push('--host', '127.0.0.1', '--home', home, '--no-ws', '--log-level', 'warn');
  if (!scheduler) args.push('--no-scheduler');
  // The server prints its address once everything it runs has started.
  const started = await startProcess('server', process.execPath, args, port, (out) =>
    out.includes(`:${port}`),
  );
  return {
    id: baseline ? 'server-baseline' : scheduler ? 'server' : 'server-no-scheduler',
    label: baseline
      ? `\`server start\` of ${baseline} (baseline)`
      : scheduler
        ? '`server start`'
        : '`server start --no-scheduler` (diagnosis)',
    url: `mqtt://127.0.0.1:${port}`,
    format: 'envelope',
    pid: started.pid,
    ...adminOf(home),
    close: started.stop,
  };
}

/** The home's admin login, if the server made one (a checkout from before access control did not). */
function adminOf(home: string): { admin?: Credentials } {
  const file = join(home, ADMIN_CREDENTIAL_FILE);
  const admin = existsSync(file) ? parseCredentialFile(readFileSync(file, 'utf8')) : undefined;
  return admin ? { admin } : {};
}

const MOSQUITTO_PATHS = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'];

/** The mosquitto binary, or the reason why there is none (the benchmark then skips it). */
export function findMosquitto(): { path: string } | { skip: string } {
  const path = MOSQUITTO_PATHS.find((p) => existsSync(p));
  return path ? { path } : { skip: `mosquitto not found (${MOSQUITTO_PATHS.join(', ')})` };
}

function mosquittoVersion(binary: string): string {
  // `mosquitto -h` prints "mosquitto version 2.0.11" and exits non-zero.
  const help = spawnSync(binary, ['-h'], { encoding: 'utf8' });
  return /version (\S+)/.exec(help.stdout)?.[1] ?? 'unknown version';
}

/**
 * A private Mosquitto on a free port with a generated config. Beyond the required lines, the config removes two
 * defaults that would make the comparison unfair: Nagle's algorithm (the Node brokers disable it) and the
 * 1,000-message queue per subscriber, past which QoS 1 messages are silently dropped.
 */
export async function startMosquitto(binary: string, dir: string): Promise<Target> {
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false'];
  lines.push('set_tcp_nodelay true', 'max_queued_messages 0', 'log_dest stderr', 'log_type error');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const started = await startProcess('mosquitto', binary, ['-c', config], port);
  return {
    id: 'mosquitto',
    label: `Mosquitto ${mosquittoVersion(binary)}`,
    url: `mqtt://127.0.0.1:${port}`,
    format: 'raw',
    pid: started.pid,
    close: started.stop,
  };
}

/** A port the OS just handed out; another process could take it before the target does, which is unlikely. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until the port accepts a TCP connection; `dead` returns a reason once waiting is pointless. */
async function waitForTcp(port: number, timeoutMs: number, dead: () => string | undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    const reason = dead();
    if (reason) throw new Error(reason);
    if (performance.now() > deadline) throw new Error(`nothing accepted connections on port ${port}`);
    await sleep(50);
  }
}
