import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { createLogger, startBroker } from '../broker/index.ts';

/** Envelope: our server rewrites each payload to a JSON event; raw: the broker delivers the payload as sent. */
export type PayloadFormat = 'envelope' | 'raw';

/** A broker under test, listening on 127.0.0.1. */
export interface Target {
  url: string;
  format: PayloadFormat;
  close(): Promise<void>;
}

export async function startOurs(dbFile: string, durability: 'full' | 'normal'): Promise<Target> {
  const broker = await startBroker({ dbFile, port: 0, durability, logger: createLogger('warn') });
  return { url: broker.url, format: 'envelope', close: () => broker.close() };
}

/** Plain Aedes in memory, with the same socket setup as our server (Nagle off), and nothing else. */
export async function startRawAedes(): Promise<Target> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    format: 'raw',
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

const MOSQUITTO_PATHS = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'];

/** The mosquitto binary, installed with apt-get if missing; otherwise the reason why it cannot be used. */
export function findMosquitto(): { path: string } | { skip: string } {
  const found = () => MOSQUITTO_PATHS.find((p) => existsSync(p));
  const path = found();
  if (path) return { path };
  if (process.getuid?.() !== 0) return { skip: 'mosquitto is not installed and apt-get needs root' };
  process.stderr.write('[bench] mosquitto not found, trying apt-get install -y mosquitto\n');
  for (const args of [['update'], ['install', '-y', 'mosquitto']]) {
    // stdout goes to stderr too: stdout is reserved for the result table.
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], timeout: 300_000 });
    if (run.status !== 0) return { skip: `apt-get ${args.join(' ')} failed (status ${run.status})` };
  }
  const installed = found();
  return installed ? { path: installed } : { skip: 'apt-get installed mosquitto but no binary was found' };
}

// Started brokers are killed on any exit, even one that skips the finally blocks (process.exit from a signal).
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Mosquitto on a free port with a generated config. Beyond the three required lines, the config removes two
 * defaults that would make the comparison unfair: Nagle's algorithm (our server and the Aedes baseline disable
 * it) and the 1,000-message queue per subscriber, past which QoS 1 messages are silently dropped.
 */
export async function startMosquitto(binary: string, dir: string): Promise<Target> {
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'set_tcp_nodelay true',
      'max_queued_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
  };
  try {
    await waitForTcp(port, 5_000, () => {
      if (spawnError) return `cannot start ${binary}: ${spawnError.message}`;
      return running()
        ? undefined
        : `mosquitto exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `mqtt://127.0.0.1:${port}`, format: 'raw', close: stop };
}

/** A port the OS just handed out; another process could take it before Mosquitto does, which is unlikely. */
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
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
