import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isSourceModule, siblingModule } from '../protocol/module-url.ts';

/**
 * Starts a worker thread running the sibling module `name` (without extension) of `parentUrl`, picking the same
 * extension as the parent: `.js` once compiled, `.ts` from source. Node 20 does not pass a TypeScript loader
 * (`--import tsx`, or tsx's `register()` as the CLI uses) on to workers, so a `.ts` worker registers tsx's
 * require hook itself: unlike its ESM loader, that hook needs no extra loader thread, so the worker boots faster.
 */
export function startThread(parentUrl: string, name: string, workerData: unknown): Worker {
  const url = siblingModule(parentUrl, name);
  if (!isSourceModule(parentUrl)) return new Worker(url, { workerData });
  const tsx = createRequire(parentUrl).resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(url))});`;
  return new Worker(bootstrap, { eval: true, workerData });
}
