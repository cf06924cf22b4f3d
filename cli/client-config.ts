import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AIFlowError } from '../protocol/errors.ts';
import { DEFAULT_SERVER_URL } from '../protocol/runtime-env.ts';
import { defaultHome, runningServer } from './home.ts';

/** What a config file may set: where the server is and how to log in to it. */
export const CONFIG_SETTINGS = ['server', 'namespace', 'username', 'password', 'ca'] as const;
export type ConfigSetting = (typeof CONFIG_SETTINGS)[number];

/** A value and where it came from (`aiflow config` shows both). */
export interface ConfigValue {
  value: string;
  origin: string;
}

export interface ClientConfig {
  profile: string | null;
  /** The config files read, most important first. */
  files: string[];
  /** What the files (and, for `server`, a local server or the default) set; flags and env vars come on top. */
  values: Partial<Record<ConfigSetting, ConfigValue>>;
}

export const PROFILE_ENV = 'AIFLOW_PROFILE';
/** Replaces the user-level file `~/.aiflow/config.yaml`. */
export const USER_CONFIG_ENV = 'AIFLOW_CONFIG';
const PROJECT_FILES = ['aiflow.config.yaml', 'aiflow.config.yml', 'aiflow.config.json'];

type FileSettings = Partial<Record<ConfigSetting, string>>;
interface ConfigFile {
  path: string;
  top: FileSettings;
  profiles: Record<string, FileSettings>;
}

/**
 * The settings of the config files, lowest precedence last: the project's `aiflow.config.{yaml,yml,json}` (the
 * nearest one from `cwd` upwards), then the user's `~/.aiflow/config.yaml` (or `$AIFLOW_CONFIG`). In each file a
 * selected profile (`profiles: { <name>: {...} }`) overrides the file's top-level values. When no file names a
 * server, the server running for the home (`$AIFLOW_HOME` or `~/.aiflow`) is used, else the default URL.
 */
export async function loadClientConfig(options: {
  env: NodeJS.ProcessEnv;
  cwd: string;
  profile?: string | undefined;
}): Promise<ClientConfig> {
  const { env } = options;
  const profile = options.profile ?? (env[PROFILE_ENV] || null);
  const paths = [findProjectFile(options.cwd), userConfigFile(env)].filter(
    (p): p is string => p !== undefined,
  );
  const files = await Promise.all(paths.map(readConfigFile));
  if (profile !== null && !files.some((f) => profile in f.profiles)) {
    const where = files.length === 0 ? 'no config file was found' : `it is not in ${paths.join(' or ')}`;
    throw new AIFlowError('INVALID_OPTION', `profile "${profile}" is not defined: ${where}`);
  }
  const values: ClientConfig['values'] = {};
  // Least important first, so that more important files overwrite.
  for (const file of [...files].reverse()) {
    const layers: [FileSettings | undefined, string][] = [
      [file.top, file.path],
      [profile === null ? undefined : file.profiles[profile], `${file.path} (profile ${profile})`],
    ];
    for (const [settings, origin] of layers) {
      for (const [name, value] of Object.entries(settings ?? {}) as [ConfigSetting, string][]) {
        values[name] = { value: name === 'ca' ? resolve(dirname(file.path), value) : value, origin };
      }
    }
  }
  values.server ??= localServer(env) ?? { value: DEFAULT_SERVER_URL, origin: 'default' };
  return { profile, files: paths, values };
}

function localServer(env: NodeJS.ProcessEnv): ConfigValue | undefined {
  const home = defaultHome(env);
  const running = runningServer(home);
  return running && { value: running.url, origin: `local server (pid ${running.pid}, ${home})` };
}

function userConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  const path = env[USER_CONFIG_ENV] || join(env.HOME || homedir(), '.aiflow', 'config.yaml');
  if (env[USER_CONFIG_ENV] && !existsSync(path)) {
    throw new AIFlowError('INVALID_OPTION', `${USER_CONFIG_ENV} names ${path}, which does not exist`);
  }
  return existsSync(path) ? path : undefined;
}

function findProjectFile(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const found = PROJECT_FILES.map((name) => join(dir, name)).find((path) => existsSync(path));
    if (found) return found;
    if (dirname(dir) === dir) return undefined;
  }
}

async function readConfigFile(path: string): Promise<ConfigFile> {
  const invalid = (reason: string) => new AIFlowError('INVALID_OPTION', `config file ${path}: ${reason}`);
  let data: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    // Loaded only when a YAML file exists: most commands start faster without the parser.
    data = path.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
  } catch (error) {
    throw invalid((error as Error).message.split('\n')[0] ?? 'unreadable');
  }
  data ??= {}; // an empty file
  if (!isRecord(data)) throw invalid('expected a mapping of settings');
  const { profiles = {}, ...top } = data;
  if (!isRecord(profiles)) throw invalid('profiles must be a mapping of profile names to settings');
  const settingsOf = (value: unknown, where: string): FileSettings => {
    if (!isRecord(value)) throw invalid(`${where} must be a mapping of settings`);
    for (const [name, setting] of Object.entries(value)) {
      if (!(CONFIG_SETTINGS as readonly string[]).includes(name)) {
        throw invalid(
          `unknown setting "${name}" in ${where} (known: ${CONFIG_SETTINGS.join(', ')}, profiles)`,
        );
      }
      if (typeof setting !== 'string' || setting === '')
        throw invalid(`${where}.${name} must be a non-empty string`);
    }
    return value as FileSettings;
  };
  return {
    path: resolve(path),
    top: settingsOf(top, 'the top level'),
    profiles: Object.fromEntries(
      Object.entries(profiles).map(([name, settings]) => [name, settingsOf(settings, `profiles.${name}`)]),
    ),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of `--profile` in a command line, read before the commands are built (their defaults depend on it). */
export function profileArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (arg === '--profile') return argv[i + 1];
    if (arg.startsWith('--profile=')) return arg.slice('--profile='.length);
  }
  return undefined;
}
