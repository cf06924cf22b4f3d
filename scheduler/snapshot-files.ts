import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../protocol/module-url.ts';
import type { SnapshotRecord } from './store/records.ts';

const PACKAGE_ROOT = fileURLToPath(packageRoot(import.meta.url, 1));

/**
 * Writes a snapshot's module to `<dataDir>/snapshots/<id>/<file>` (once) and returns its path. Task processes
 * import it from there, and the condition sandbox bundles it from there (`condition-sandbox-bundle.ts`); `<dataDir>/node_modules/aiflow-mqtt` points at this package, so the
 * module's `import … from 'aiflow-mqtt/workflow'` resolves, and `<dataDir>/package.json` makes it an ES module.
 */
export function snapshotModule(
  dataDir: string,
  snapshot: Pick<SnapshotRecord, 'id' | 'fileName' | 'source'>,
): string {
  linkPackage(dataDir);
  const dir = join(dataDir, 'snapshots', String(snapshot.id));
  const file = join(dir, basename(snapshot.fileName));
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, snapshot.source);
  }
  return file;
}

function linkPackage(dataDir: string): void {
  // Workflow modules are ES modules, like the package they import.
  const manifest = join(dataDir, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, '{ "private": true, "type": "module" }\n');
  const link = join(dataDir, 'node_modules', 'aiflow-mqtt');
  if (existsSync(link)) return;
  mkdirSync(join(dataDir, 'node_modules'), { recursive: true });
  try {
    symlinkSync(PACKAGE_ROOT, link, 'dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
