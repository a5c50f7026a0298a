// A self-signed certificate for 127.0.0.1 and localhost, made with the openssl command line in a temp
// directory, for the proxies that terminate TLS in the suites (browsers are told to ignore its issuer).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** { cert, key, pem (both in one file, as HAProxy wants), remove() }: paths of PEM files. */
export function selfSignedCertificate() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pem = path.join(dir, 'combined.pem');
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { cert, key, pem, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
