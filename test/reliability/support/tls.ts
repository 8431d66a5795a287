// A throwaway certificate authority-free TLS identity for 127.0.0.1 (openssl,
// as any Debian machine has it): the child trusts it via NODE_EXTRA_CA_CERTS.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface TlsIdentity {
  key: Buffer;
  cert: Buffer;
  /** PEM file to hand to NODE_EXTRA_CA_CERTS. */
  certFile: string;
}

/** Writes a self-signed certificate for IP 127.0.0.1 into `dir`. */
export function makeLoopbackCert(dir: string): TlsIdentity {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: 'pipe' },
  );
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}
