/*
 * The package runs from TypeScript sources in its repository (through tsx) and from compiled JavaScript under
 * `dist/` once installed. Code that starts a process or a thread on one of its own files names that file here, so
 * that it picks the same form as the module asking.
 */

/** True when `moduleUrl` is a TypeScript source run through tsx, false when it is compiled JavaScript. */
export function isSourceModule(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.ts');
}

/** The sibling module `name` (without extension) of `moduleUrl`, with the same extension (`.ts` or `.js`). */
export function siblingModule(moduleUrl: string, name: string): URL {
  return new URL(`./${name}${isSourceModule(moduleUrl) ? '.ts' : '.js'}`, moduleUrl);
}

/**
 * The package's root folder (with a trailing slash), from a module `depth` folders below it in the sources
 * (`scheduler/x.ts` is 1 deep): compiled modules sit one folder deeper, under `dist/`.
 */
export function packageRoot(moduleUrl: string, depth: number): URL {
  const up = depth + (isSourceModule(moduleUrl) ? 0 : 1);
  return new URL('../'.repeat(up), moduleUrl);
}

/**
 * The export condition under which the package's own entries (`aiflow-mqtt/workflow`, …) resolve to its TypeScript
 * sources instead of `dist/`: its repository runs from source, so the processes it starts there pass it on.
 */
export const SOURCE_CONDITION = 'aiflow-source';

/** Node flags for a child process started by `moduleUrl`: the source condition when it runs from source. */
export function sourceNodeFlags(moduleUrl: string): string[] {
  return isSourceModule(moduleUrl) ? [`--conditions=${SOURCE_CONDITION}`] : [];
}

/** `.ts`, `.mts`, `.cts`, `.tsx`: a file that Node loads only through the TypeScript loader. */
export function isTypeScriptFile(path: string): boolean {
  return /\.[cm]?tsx?$/.test(path);
}

/**
 * Node flags for a child process that `moduleUrl` starts to load a user's module: the TypeScript loader (`tsxUrl`)
 * only when the package runs from source or the module is TypeScript (a snapshot uploaded before modules were
 * bundled). A bundled module is plain JavaScript: an installed package starts it without the loader.
 */
export function userModuleNodeFlags(moduleUrl: string, userModule: string, tsxUrl: string): string[] {
  const typescript = isSourceModule(moduleUrl) || isTypeScriptFile(userModule);
  return [...sourceNodeFlags(moduleUrl), ...(typescript ? ['--import', tsxUrl] : [])];
}
