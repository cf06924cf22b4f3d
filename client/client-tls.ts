import { AIFlowError } from '../protocol/errors.ts';
import { fromEnv, RUNTIME_ENV } from '../protocol/runtime-env.ts';

type Pem = string | Buffer;

/**
 * TLS material of an `mqtts://` or `wss://` connection from Node (a browser trusts what the browser trusts and
 * ignores it). Without `ca`, Node's built-in authorities are trusted.
 */
export interface ClientTls {
  /** Certificate authorities to trust instead of Node's built-in list (a server with a private CA). */
  ca?: string | string[] | Buffer | Buffer[];
  /** A client certificate, for a server that requires one (with `key`). */
  cert?: Pem;
  key?: Pem;
}

/** Paths of PEM files, as the CLI options and environment variables name them. */
export interface ClientTlsFiles {
  ca?: string | undefined;
  cert?: string | undefined;
  certKey?: string | undefined;
}

const FIELD = { ca: 'ca', cert: 'cert', certKey: 'key' } as const;

/**
 * Reads the PEM files; `label` names each in errors (`--ca`, `AIFLOW_CA`). Returns undefined when no file is named.
 * Throws INVALID_OPTION for an unreadable file or a certificate without its key.
 */
export function readClientTls(
  files: ClientTlsFiles,
  label: (name: keyof ClientTlsFiles) => string,
): ClientTls | undefined {
  const named = (['ca', 'cert', 'certKey'] as const).filter((name) => files[name] !== undefined);
  if (named.length === 0) return undefined;
  if ((files.cert === undefined) !== (files.certKey === undefined)) {
    throw new AIFlowError('INVALID_OPTION', `${label('cert')} and ${label('certKey')} go together`);
  }
  // Loaded here, not imported: the client also runs in a browser bundle, which has no file system.
  const fs = globalThis.process?.getBuiltinModule?.('node:fs');
  if (!fs) throw new AIFlowError('INVALID_OPTION', `${label(named[0]!)} needs Node 20.16 or later`);
  const tls: ClientTls = {};
  for (const name of named) {
    const file = files[name]!;
    try {
      tls[FIELD[name]] = fs.readFileSync(file);
    } catch (error) {
      throw new AIFlowError(
        'INVALID_OPTION',
        `cannot read ${label(name)} ${file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return tls;
}

/** The files named by `AIFLOW_CA`, `AIFLOW_CERT` and `AIFLOW_CERT_KEY` (`AIFLOW_CA` is set for a TLS server's tasks). */
export function clientTlsFromEnv(env?: NodeJS.ProcessEnv): ClientTls | undefined {
  return readClientTls(
    { ca: fromEnv('ca', env), cert: fromEnv('cert', env), certKey: fromEnv('certKey', env) },
    (name) => RUNTIME_ENV[name],
  );
}

/**
 * TLS_FAILED when a first connection to `url` failed in its TLS set-up (an untrusted or mismatched certificate, a
 * refused client certificate, a peer that does not speak TLS) rather than by finding no server; null otherwise.
 */
export function tlsFailure(url: string, error: Error): AIFlowError | null {
  if (isTlsFailure(error)) {
    return new AIFlowError(
      'TLS_FAILED',
      `TLS with ${url} failed: ${openSslReason(error.message)} (does this client trust the server's certificate? --ca FILE, AIFLOW_CA or the tls option)`,
      { cause: error },
    );
  }
  // Under TLS 1.3 a server checks a client certificate after the client's side of the handshake: a refused one
  // shows as a connection closed or reset before the MQTT CONNACK.
  const code = (error as NodeJS.ErrnoException).code;
  if (/^(mqtts|wss):/i.test(url) && (code === 'ECONNRESET' || error.message === 'connection closed')) {
    return new AIFlowError(
      'TLS_FAILED',
      `TLS with ${url} failed: the server closed the connection before accepting it (does it require a client certificate? --cert and --cert-key, AIFLOW_CERT and AIFLOW_CERT_KEY or the tls option)`,
      { cause: error },
    );
  }
  return null;
}

/** `tlsv13 alert certificate required` out of OpenSSL's `80FC…:error:0A00045C:SSL routines:…:<reason>:<file>:…`. */
function openSslReason(message: string): string {
  return /:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(message)?.[1] ?? message;
}

function isTlsFailure(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  // OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED…),
  // Node's (ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_…), and EPROTO for a peer that answers TLS with something else.
  const tlsCode =
    /^ERR_(SSL|TLS)_|^EPROTO$|CERT|CRL|SIGNATURE|ISSUER|INVALID_CA|PATH_LENGTH|PURPOSE|HOSTNAME/;
  if (typeof code === 'string' && tlsCode.test(code)) return true;
  // MQTT.js's own check after the handshake.
  return error.message === 'TLS not authorized';
}
