import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const RUNNER_SOURCE = fileURLToPath(new URL('./task-runner.ts', import.meta.url));
// Inside the package's node_modules, so that the bundle resolves packages (e.g. tsx) as the sources do.
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/aiflow-mqtt/', import.meta.url));

let bundled: string | null | undefined;

/**
 * The task runner as one plain JavaScript file, built once per process. Node starts it in about 50 ms, where
 * loading the TypeScript sources through tsx takes about 200 ms: most of a short bash task's life. Null when it
 * cannot be built (the runner then starts from its sources).
 */
export function runnerBundle(): string | null {
  if (bundled !== undefined) return bundled;
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const file = join(CACHE_DIR, 'task-runner.mjs');
    // Several servers may build at once: write aside, then rename (atomic), so no runner reads half a file.
    const temporary = `${file}.${process.pid}.tmp`;
    buildSync({
      entryPoints: [RUNNER_SOURCE],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: temporary,
      logLevel: 'silent',
    });
    renameSync(temporary, file);
    bundled = file;
  } catch {
    bundled = null;
  }
  return bundled;
}
