import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildFailure, type BuildOptions, type Message } from 'esbuild';
import { invalid } from './checks.ts';

/*
 * A workflow module and everything it imports as one ES module: what an upload stores as the snapshot's artifact,
 * so an execution runs exactly the code it was uploaded with, whatever changes on disk later, and as plain
 * JavaScript (no TypeScript loader in a task process). The condition sandbox bundles with the same base options.
 */

/**
 * Bundled CommonJS dependencies may `require` Node's built-ins, which an ES module has no `require` for. The
 * import's local name differs between an upload's artifact and the sandbox's bundle of it, where both imports
 * end up side by side (esbuild renames the artifact's `require`, not an external import's name). Not a dynamic
 * `import()`: tsx transforms a file that has one and drops its source map.
 */
function requireBanner(name: string): string {
  return `import { createRequire as ${name} } from 'node:module'; const require = ${name}(import.meta.url);`;
}

/** The esbuild options of every bundle the package makes: one ES module that Node 20 loads as it is. */
export const NODE_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: requireBanner('createRequire') },
  write: false,
  logLevel: 'silent',
} satisfies BuildOptions);

/**
 * This package stays an import: the server resolves it to its own copy (`<home>/node_modules/aiflow-mqtt`), so the
 * workflow API in the artifact is the very instance the loader and the task runner inspect, whatever version (or
 * none) the user's project has installed.
 */
const EXTERNAL = ['aiflow-mqtt', 'aiflow-mqtt/*'];

/** The artifact's file name: `flow.ts` → `flow.mjs` (an ES module wherever it is written). */
export function bundleFileName(fileName: string): string {
  const name = basename(fileName);
  return `${name.slice(0, name.length - extname(name).length) || name}.mjs`;
}

/**
 * Bundles the workflow module `file` with its local imports and npm packages, resolved from the module's folder
 * upward as Node would (Node's built-ins and `aiflow-mqtt` stay imports). The inline source map names the
 * sources by their absolute paths, so a stack trace of the artifact, wherever it runs, names the user's files.
 *
 * @returns the artifact's text.
 * @throws AIFlowError `INVALID_WORKFLOW`, `<file>:<line>:<col>: <reason>` (an import that cannot be resolved, a
 *   syntax error), the first of esbuild's errors.
 */
export async function bundleWorkflowModule(file: string): Promise<string> {
  const entry = resolve(file);
  const dir = dirname(entry);
  try {
    const result = await build({
      ...NODE_BUNDLE_OPTIONS,
      entryPoints: [entry],
      absWorkingDir: dir,
      outfile: join(dir, bundleFileName(entry)),
      banner: { js: requireBanner('createArtifactRequire') },
      external: EXTERNAL,
      sourcemap: 'inline',
      // Stack traces need the mappings only; the sources would double the request (the broker's packet limit).
      sourcesContent: false,
      // Sources are relative to the output's folder: this root makes them absolute wherever the artifact lands.
      sourceRoot: `${pathToFileURL(dir).href}/`,
    });
    return result.outputFiles[0]?.text ?? '';
  } catch (error) {
    throw describeBuildFailure(error, dir);
  }
}

function describeBuildFailure(error: unknown, dir: string): Error {
  const errors = (error as Partial<BuildFailure>).errors;
  const first = errors?.[0];
  if (first === undefined) return invalid(`bundling failed: ${(error as Error).message}`, error);
  const others = errors!.length - 1;
  const more = others > 0 ? ` (and ${others} more error${others > 1 ? 's' : ''})` : '';
  return invalid(`${where(first, dir)}${first.text}${more}`, error);
}

/** esbuild counts columns from 0 and names files relative to its working folder. */
function where(message: Message, dir: string): string {
  const location = message.location;
  if (!location) return '';
  return `${resolve(dir, location.file)}:${location.line}:${location.column + 1}: `;
}
