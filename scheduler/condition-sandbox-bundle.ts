import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { NODE_BUNDLE_OPTIONS } from '../workflow/bundle.ts';
import { isSourceModule, packageRoot, siblingModule, SOURCE_CONDITION } from '../protocol/module-url.ts';
import { snapshotModule } from './snapshot-files.ts';
import type { SnapshotRecord } from './store/records.ts';

const ENTRY = fileURLToPath(siblingModule(import.meta.url, 'condition-sandbox-process'));
const PACKAGE_ROOT = fileURLToPath(packageRoot(import.meta.url, 1));

/**
 * The sandbox process's entry as plain JavaScript, at `<dataDir>/condition-sandbox.mjs`: the package runs from
 * TypeScript sources, and starting a process through the TypeScript loader takes seconds on a busy machine.
 * Bundled once per process of the scheduler (it is small), rewritten only when it changed.
 */
export function sandboxEntry(dataDir: string): Promise<string> {
  return once(join(dataDir, 'condition-sandbox.mjs'), (file) => bundle(ENTRY, file));
}

/**
 * A snapshot's workflow module as one self-contained ES module, at `<dataDir>/snapshots/<id>/<file>.sandbox.mjs`:
 * the module and what it imports (this package's workflow API included), so that plain `node` loads it at once.
 */
export function snapshotBundle(
  dataDir: string,
  snapshot: Pick<SnapshotRecord, 'id' | 'fileName' | 'source'>,
): Promise<string> {
  const source = snapshotModule(dataDir, snapshot);
  return once(join(dirname(source), `${basename(source)}.sandbox.mjs`), (file) =>
    bundle(source, file, [packageWithoutSideEffects]),
  );
}

const built = new Map<string, Promise<string>>();

/** One build per output file and process; a failed build is tried again on the next call. */
function once(file: string, make: (file: string) => Promise<void>): Promise<string> {
  let building = built.get(file);
  if (!building) {
    building = make(file).then(() => file);
    built.set(file, building);
    building.catch(() => built.delete(file));
  }
  return building;
}

async function bundle(entry: string, outfile: string, plugins: Plugin[] = []): Promise<void> {
  const options: BuildOptions = {
    ...NODE_BUNDLE_OPTIONS,
    entryPoints: [entry],
    plugins,
    // From source, the snapshot's `aiflow-mqtt/workflow` is the TypeScript source (see SOURCE_CONDITION).
    ...(isSourceModule(import.meta.url) ? { conditions: [SOURCE_CONDITION] } : {}),
  };
  const result = await build({ ...options, outfile });
  const text = result.outputFiles?.[0]?.text ?? '';
  if (contents(outfile) === text) return;
  mkdirSync(dirname(outfile), { recursive: true });
  // Renamed into place: a process starting meanwhile reads the old file or the new one, never half of one.
  const partial = `${outfile}.${process.pid}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, outfile);
}

function contents(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * This package's modules have no side effects worth keeping when a workflow module does not use their exports:
 * dropping them keeps the loader's `import.meta.resolve('tsx')` (which fails outside the package) out of bundles.
 */
const packageWithoutSideEffects: Plugin = {
  name: 'aiflow-package-without-side-effects',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === SELF) return undefined;
      const resolved = await builder.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: SELF,
      });
      // Anything else resolves as usual (and reports its own errors).
      const ours =
        resolved.errors.length === 0 &&
        resolved.path.startsWith(PACKAGE_ROOT) &&
        !resolved.path.slice(PACKAGE_ROOT.length).includes(`${sep}node_modules${sep}`);
      return ours ? { path: resolved.path, sideEffects: false } : undefined;
    });
  },
};
const SELF = Symbol('resolving');
