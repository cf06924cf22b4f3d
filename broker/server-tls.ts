import { readFileSync } from 'node:fs';
import { createSecureContext, type TlsOptions } from 'node:tls';
import { AIFlowError } from '../protocol/errors.ts';

/** The server's TLS files (PEM): with them the MQTT port speaks `mqtts://` and the WebSocket port `wss://`. */
export interface ServerTlsOptions {
  /** The server's certificate, followed by its intermediate certificates if any. */
  certFile: string;
  /** The private key of `certFile`. */
  keyFile: string;
  /**
   * The certificate authorities that sign client certificates. With it, clients are asked for a certificate; one
   * it verifies gives its common name ({@link clientCertificateName}). @defaultValue none
   */
  caFile?: string;
  /**
   * Refuse every connection without a client certificate signed by `caFile` (which it then needs), so that every
   * connection has a verified common name. @defaultValue false
   */
  requireClientCert?: boolean;
}

/** What the listeners and the server's own clients need of the TLS files, read and checked once. */
export interface ServerTls {
  /** Options of `tls.createServer` / `https.createServer`. */
  readonly listen: TlsOptions;
  /**
   * What the server's own clients (its scheduler) trust: its certificate (enough when it is self-signed) and the
   * `caFile` authorities (when they signed it).
   */
  readonly trusted: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly requireClientCert: boolean;
}

/**
 * Reads and checks the TLS files before anything listens: an unreadable file, a file that is not PEM, or a key
 * that does not match the certificate is INVALID_OPTION, naming the option.
 */
export function loadServerTls(options: ServerTlsOptions): ServerTls {
  const { certFile, keyFile, caFile, requireClientCert = false } = options;
  if (requireClientCert && caFile === undefined) {
    throw new AIFlowError(
      'INVALID_OPTION',
      '--tls-require-client-cert needs --tls-ca FILE (the authorities that sign client certificates)',
    );
  }
  const cert = readPem('--tls-cert', certFile, CERTIFICATE);
  const key = readPem('--tls-key', keyFile, PRIVATE_KEY);
  const ca = caFile === undefined ? undefined : readPem('--tls-ca', caFile, CERTIFICATE);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const mismatch = (error as NodeJS.ErrnoException).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH';
    throw new AIFlowError(
      'INVALID_OPTION',
      mismatch
        ? `--tls-key ${keyFile} is not the key of --tls-cert ${certFile}`
        : `--tls-cert ${certFile} and --tls-key ${keyFile} are not a PEM certificate and key: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (ca !== undefined) {
    try {
      createSecureContext({ ca });
    } catch (error) {
      throw new AIFlowError(
        'INVALID_OPTION',
        `--tls-ca ${caFile} is not a PEM certificate: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return {
    listen: {
      cert,
      key,
      ...(ca === undefined ? {} : { ca }),
      // Asked for whenever there is an authority to verify them with; required only on request.
      requestCert: ca !== undefined,
      rejectUnauthorized: requireClientCert,
    },
    trusted: ca === undefined ? cert : Buffer.concat([cert, Buffer.from('\n'), ca]),
    cert,
    key,
    requireClientCert,
  };
}

const CERTIFICATE = { label: '-----BEGIN CERTIFICATE-----', what: 'certificate' };
// Also `RSA PRIVATE KEY`, `EC PRIVATE KEY` and `ENCRYPTED PRIVATE KEY`.
const PRIVATE_KEY = { label: 'PRIVATE KEY-----', what: 'private key' };

function readPem(option: string, file: string, kind: { label: string; what: string }): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new AIFlowError('INVALID_OPTION', `cannot read ${option} ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // OpenSSL accepts a CA list with no certificate in it (a key file, say): a mistake worth naming.
  if (!pem.includes(kind.label)) {
    throw new AIFlowError('INVALID_OPTION', `${option} ${file} has no PEM ${kind.what}`);
  }
  return pem;
}
