import { Option, type Command } from 'commander';
import { readClientTls, type ClientTls } from '../client/client-tls.ts';
import { RUNTIME_ENV } from '../protocol/runtime-env.ts';

/** What every command that connects to a server reads: its address and the certificates of `mqtts://`/`wss://`. */
export interface ServerCliOptions {
  server: string;
  ca?: string;
  cert?: string;
  certKey?: string;
}

/**
 * Adds `--ca`, `--cert` and `--cert-key` to every command that has `--server`, with the SDK's environment variables
 * (`--key` is an event key).
 */
export function addClientTlsOptions(command: Command): void {
  if (!command.options.some((option) => option.long === '--server')) return;
  command
    .addOption(
      new Option('--ca <file>', 'PEM file of the authorities to trust for mqtts:// and wss://').env(
        RUNTIME_ENV.ca,
      ),
    )
    .addOption(
      new Option('--cert <file>', 'PEM file of a client certificate (with --cert-key)').env(RUNTIME_ENV.cert),
    )
    .addOption(
      new Option('--cert-key <file>', 'PEM file of the client certificate key').env(RUNTIME_ENV.certKey),
    );
}

/** The certificates named by `--ca`, `--cert` and `--cert-key`, read (INVALID_OPTION if one cannot be). */
export function cliClientTls(options: ServerCliOptions): ClientTls | undefined {
  return readClientTls(options, (name) => LABEL[name]);
}

const LABEL = { ca: '--ca', cert: '--cert', certKey: '--cert-key' } as const;
