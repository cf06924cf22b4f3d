import { join } from 'node:path';

/** Where the server leaves the scheduler's secret for a scheduler started apart (`aiflow scheduler start`). */
export function schedulerTokenFile(home: string): string {
  return join(home, 'scheduler.token');
}

/** The scheduler's store, whose lease row the broker reads to check the scheduler's fencing token. */
export function metadataFile(home: string): string {
  return join(home, 'metadata.db');
}
