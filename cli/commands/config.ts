import { Command } from 'commander';
import { BROKER_DEFAULTS } from '../../broker/broker-defaults.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { DEFAULT_SERVER_URL } from '../../protocol/runtime-env.ts';
import { DEFAULT_NAMESPACE } from '../../protocol/topics.ts';
import { defaultHome, runningServer } from '../home.ts';
import type { CliIO } from '../io.ts';
import { DEFAULT_WS_PORT, outputOption } from '../options.ts';
import { renderRecords, type OutputFormat } from '../output.ts';

interface Setting {
  name: string;
  value: string;
  /** The environment variable that sets it, or `default`. */
  from: string;
}

/** `aiflow config`: the settings the CLI and `server start` would use here, and where each comes from. */
export function configCommand(io: CliIO): Command {
  return new Command('config')
    .description('show the effective settings and where each comes from')
    .addOption(outputOption())
    .action((o: { output: OutputFormat }) => {
      const setting = (name: string, env: string, fallback: string | number): Setting => {
        const value = io.env[env];
        return value ? { name, value, from: env } : { name, value: String(fallback), from: 'default' };
      };
      const home = setting('home', 'AIFLOW_HOME', defaultHome({}));
      const running = runningServer(home.value);
      const settings = [
        setting('server', 'AIFLOW_SERVER', DEFAULT_SERVER_URL),
        setting('namespace', 'AIFLOW_NAMESPACE', DEFAULT_NAMESPACE),
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
