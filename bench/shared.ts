import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { MqttClient } from 'mqtt';
import { connectPlainMqtt } from '../client/mqtt-connection.ts';

/** Progress goes to stderr, so that stdout holds only the result tables. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The environment of the package as installed: no AIFLOW_* settings of the user's, no NODE_OPTIONS (the source condition). */
export function installedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AIFLOW_') && name !== 'NODE_OPTIONS'),
  );
}

/** Wall time of `node <args>` until it exits, in milliseconds; fails, with its stderr, if the process does. */
export function timeNode(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - start;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** QoS 1 publishes of `payload(i)`, i = 0 … count - 1, keeping `window` unacknowledged; resolves when all are acked. */
export function publishWindowed(
  client: MqttClient,
  topic: string,
  count: number,
  window: number,
  payload: (seq: number) => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const sendNext = () => {
      const seq = sent;
      sent += 1;
      client.publish(topic, payload(seq), { qos: 1 }, (error) => {
        if (error) return reject(error);
        acked += 1;
        if (sent < count) sendNext();
        else if (acked === count) resolve();
      });
    };
    if (count <= 0) return resolve();
    for (let i = 0; i < Math.min(window, count); i++) sendNext();
  });
}

/** The file system type under `dir`, from the longest matching mount point (tmpfs would make fsync free). */
export function fileSystemOf(dir: string): string {
  if (!existsSync('/proc/mounts')) return 'unknown';
  const path = realpathSync(dir);
  let best = { mount: '', type: 'unknown' };
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mount, type] = line.split(' ');
    if (mount === undefined || type === undefined) continue;
    const covers = path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
    if (covers && mount.length >= best.mount.length) best = { mount, type };
  }
  return best.type;
}

/**
 * Plain MQTT.js clients (Nagle off, MQTT 3.1.1, clean session, no reconnect), as every benchmark uses: a
 * dropped connection must fail the phase, not be hidden by a retry. `failed` rejects on the first error or close.
 */
export class RawClients {
  readonly #clients: MqttClient[] = [];
  #closing = false;
  #fail: (error: Error) => void = () => {};
  readonly failed = new Promise<never>((_, reject) => (this.#fail = reject));

  constructor() {
    this.failed.catch(() => {}); // observed through race(); a late rejection must not crash the run
  }

  async connect(url: string, role: string): Promise<MqttClient> {
    const clientId = `bench-${role}-${randomUUID().slice(0, 8)}`;
    const client = await connectPlainMqtt(url, {
      clientId,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    this.#clients.push(client);
    client.on('error', (error) => this.#fail(new Error(`${clientId}: ${error.message}`)));
    client.on('close', () => {
      if (!this.#closing) this.#fail(new Error(`${clientId}: connection closed by the broker`));
    });
    return client;
  }

  /** `work`, unless a client fails first. */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.failed]);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#clients.map((c) => c.endAsync(true)));
  }
}

/** The machine a result was measured on, for the results file. */
export function machineInfo() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage1m: os.loadavg()[0],
  };
}

/**
 * Wakes whoever waits for something that message handlers change: the handler updates its own state, then calls
 * `notify()`; `until()` re-checks its condition after every notification. Nothing is stored here, so waiting on
 * a count of 10,000 events costs no memory.
 */
export class Changes {
  readonly #waiters = new Set<() => void>();

  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves with the first value of `check()` other than undefined; rejects after `timeoutMs`. */
  until<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const wake = () => {
        const value = check();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
      };
      this.#waiters.add(wake);
    });
  }
}
