import { Command } from 'commander';
import { BROKER_DEFAULTS } from '../../broker/broker-defaults.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { RUNTIME_ENV } from '../../protocol/runtime-env.ts';
import type { ClientConfig, ConfigSetting } from '../client-config.ts';
import { defaultHome, runningServer } from '../home.ts';
import type { CliIO } from '../io.ts';
import { DEFAULT_WS_PORT, namespaceOption, outputOption, serverOption } from '../options.ts';
import { renderRecords, type OutputFormat } from '../output.ts';

interface Setting {
  name: string;
  value: string;
  /** The flag, environment variable or config file that sets it, a local server, or `default`. */
  from: string;
}

/** Environment variables of the settings a config file may also hold. */
const CREDENTIAL_ENV: Partial<Record<ConfigSetting, string>> = {
  username: 'AIFLOW_USERNAME',
  password: 'AIFLOW_PASSWORD',
  ca: 'AIFLOW_CA',
};

/**
 * `aiflow config`: the settings the CLI and `server start` would use here, and where each comes from, in the order
 * of precedence: flag > environment variable > project config file > user config file > local server > default.
 */
export function configCommand(io: CliIO, config: ClientConfig | undefined): Command {
  return new Command('config')
    .description('show the effective settings and where each comes from')
    .addOption(serverOption())
    .addOption(namespaceOption())
    .addOption(outputOption())
    .action((o: { output: OutputFormat; server: string; namespace: string }, command: Command) => {
      // What commander chose for an option of this command: the flag, the env var, else the config's default.
      const chosen = (name: 'server' | 'namespace', env: string): Setting => {
        const source = command.getOptionValueSource(name);
        const from =
          source === 'cli'
            ? `--${name}`
            : source === 'env'
              ? env
              : (config?.values[name]?.origin ?? 'default');
        return { name, value: o[name], from };
      };
      const fromEnvOrFile = (name: ConfigSetting): Setting => {
        const env = CREDENTIAL_ENV[name]!;
        const value = io.env[env];
        const configured = config?.values[name];
        const shown = (v: string) => (name === 'password' ? '(set)' : v);
        if (value) return { name, value: shown(value), from: env };
        if (configured) return { name, value: shown(configured.value), from: configured.origin };
        return { name, value: '(none)', from: 'default' };
      };
      const setting = (name: string, env: string, fallback: string | number): Setting => {
        const value = io.env[env];
        return value ? { name, value, from: env } : { name, value: String(fallback), from: 'default' };
      };
      const home = setting('home', 'AIFLOW_HOME', defaultHome({}));
      const running = runningServer(home.value);
      const settings = [
        chosen('server', RUNTIME_ENV.server),
        chosen('namespace', RUNTIME_ENV.namespace),
        fromEnvOrFile('username'),
        fromEnvOrFile('password'),
        fromEnvOrFile('ca'),
        config?.profile
          ? {
              name: 'profile',
              value: config.profile,
              from: io.env.AIFLOW_PROFILE ? 'AIFLOW_PROFILE' : '--profile',
            }
          : { name: 'profile', value: '(none)', from: 'default' },
        { name: 'config files', value: config?.files.join(', ') || '(none)', from: 'project, then user' },
        home,
        setting('port', 'AIFLOW_PORT', BROKER_DEFAULTS.port),
        setting('host', 'AIFLOW_HOST', BROKER_DEFAULTS.host),
        setting('ws-port', 'AIFLOW_WS_PORT', DEFAULT_WS_PORT),
        setting('tls-cert', 'AIFLOW_TLS_CERT', 'none (plain mqtt:// and ws://)'),
        setting('tls-key', 'AIFLOW_TLS_KEY', 'none'),
        setting('tls-ca', 'AIFLOW_TLS_CA', 'none'),
        setting('ca', 'AIFLOW_CA', "none (Node's authorities)"),
        setting('cert', 'AIFLOW_CERT', 'none'),
        setting('max-payload-bytes', 'AIFLOW_MAX_PAYLOAD_BYTES', LIMITS.defaultMaxPayloadBytes),
        setting('log-level', 'AIFLOW_LOG_LEVEL', 'info'),
        {
          name: 'running server',
          value: running
            ? `${running.url}${running.wsUrl ? ` and ${running.wsUrl}` : ''} (pid ${running.pid})`
            : 'none',
          from: `${home.value}/server.pid`,
        },
      ];
      io.stdout(
        renderRecords(o.output, settings, [
          ['SETTING', (s) => s.name],
          ['VALUE', (s) => s.value],
          ['FROM', (s) => s.from],
        ]),
      );
    });
}
