import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isProcessRunning } from '../scheduler/process-liveness.ts';

export const HOME_ENV = 'AIFLOW_HOME';

/** The server's data folder: `--home`, else `$AIFLOW_HOME`, else `~/.aiflow`. */
export function defaultHome(env: NodeJS.ProcessEnv): string {
  return env[HOME_ENV] || join(homedir(), '.aiflow');
}

export function ensureHome(home: string): string {
  mkdirSync(home, { recursive: true });
  return home;
}

const pidFile = (home: string) => join(home, 'server.pid');

export interface ServerRecord {
  pid: number;
  url: string;
  /** Its WebSocket address (`ws://`, `wss://` with TLS); absent without one, or from an older server. */
  wsUrl?: string;
}

export function writeServerRecord(home: string, record: ServerRecord): void {
  writeFileSync(pidFile(home), JSON.stringify(record) + '\n');
}

export function removeServerRecord(home: string): void {
  rmSync(pidFile(home), { force: true });
}

/** The running server of this home, or undefined when none runs (a stale record is ignored). */
export function runningServer(home: string): ServerRecord | undefined {
  let record: ServerRecord;
  try {
    record = JSON.parse(readFileSync(pidFile(home), 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
  return isProcessRunning(record.pid) ? record : undefined;
}
