import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './helpers.ts';

/** PEM files made for one test by openssl: a CA, a server and a client certificate it signed, and a stranger CA. */
export interface TestCerts {
  dir: string;
  caCert: string;
  /** For 127.0.0.1 and localhost, signed by the CA. */
  serverCert: string;
  serverKey: string;
  /** CN=alice, signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing of the server's. */
  otherCaCert: string;
  /** CN=mallory, signed by the other CA. */
  otherClientCert: string;
  otherClientKey: string;
}

export function makeTestCerts(t: TestContext): TestCerts {
  const dir = tempDir(t);
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const makeCa = (name: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.pem`),
    );
  const signed = (name: string, cn: string, ca: string, extensions?: string) => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    );
    const ext = extensions === undefined ? [] : ['-extfile', file(`${name}.ext`)];
    if (extensions !== undefined) writeFileSync(file(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${ca}.pem`),
      '-CAkey',
      file(`${ca}.key`),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      file(`${name}.pem`),
      ...ext,
    );
  };
  makeCa('ca');
  makeCa('other-ca');
  signed('server', 'localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  signed('client', 'alice', 'ca');
  signed('other-client', 'mallory', 'other-ca');
  return {
    dir,
    caCert: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    otherCaCert: file('other-ca.pem'),
    otherClientCert: file('other-client.pem'),
    otherClientKey: file('other-client.key'),
  };
}
