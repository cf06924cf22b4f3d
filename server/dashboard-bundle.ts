import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSourceModule, packageRoot } from '../protocol/module-url.ts';

const ROOT = fileURLToPath(packageRoot(import.meta.url, 1));
/** Where `npm run build` writes the bundle that an installed package serves. */
export const DASHBOARD_DIST = join(ROOT, 'dist', 'dashboard');

/** The dashboard as the browser loads it: one script and one style sheet. */
export interface DashboardBundle {
  js: string;
  css: string;
}

/** Bundles `dashboard/main.ts` (the page, MQTT.js's browser build and the client's request channel) with esbuild. */
export async function bundleDashboard(): Promise<DashboardBundle> {
  // Loaded on first use: a server whose dashboard is never opened does not load esbuild.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { dashboard: join(ROOT, 'dashboard', 'main.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    outdir: 'out',
    write: false,
    logLevel: 'silent',
  });
  const file = (extension: string) => result.outputFiles.find((f) => f.path.endsWith(extension))?.text ?? '';
  return { js: file('.js'), css: file('.css') };
}

/** Writes the bundle under `dist/dashboard/` (run by `npm run build`). */
export async function writeDashboard(dir = DASHBOARD_DIST): Promise<void> {
  const bundle = await bundleDashboard();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dashboard.js'), bundle.js);
  writeFileSync(join(dir, 'dashboard.css'), bundle.css);
}

let loading: Promise<DashboardBundle> | undefined;

/**
 * The bundle, made once per process on first use: from the sources in the repository (no build step; about a
 * second, paid by the first page load, not by the server's start), from `dist/dashboard/` once installed.
 */
export function loadDashboard(): Promise<DashboardBundle> {
  if (!loading) {
    loading = isSourceModule(import.meta.url)
      ? bundleDashboard()
      : Promise.resolve({
          js: readFileSync(join(DASHBOARD_DIST, 'dashboard.js'), 'utf8'),
          css: readFileSync(join(DASHBOARD_DIST, 'dashboard.css'), 'utf8'),
        });
    loading.catch(() => (loading = undefined));
  }
  return loading;
}
