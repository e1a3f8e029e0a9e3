// Certificates made for a test with the openssl binary: a CA, server certificates for 127.0.0.1 and
// localhost, and a client certificate, all in a fresh directory. Without openssl the caller skips (with
// a message), except under CI=true where a missing binary fails.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasBinary, skipNote } from './binaries.js';
import { tempDir } from './run.js';

export interface TestPki {
  readonly dir: string;
  readonly ca: string;
  readonly server: { cert: string; key: string };
  /** A second server certificate from the same CA (another serial and CN), for reload tests. */
  readonly server2: { cert: string; key: string };
  readonly client: { cert: string; key: string };
  /** A certificate from another CA: nothing here trusts it. */
  readonly stranger: { cert: string; key: string };
  read(path: string): string;
}

/** The skip reason when openssl is missing on a developer machine; throws under CI (hasBinary). */
export function opensslMissing(): string | undefined {
  return hasBinary('openssl', ['version']) ? undefined : skipNote('openssl', 'TLS with certificates made for the test');
}

function run(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function issue(dir: string, name: string, cn: string, caName: string, ext: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  execFileSync('sh', ['-c', `printf '%s\\n' "${ext}" > ${extFile}`]);
  run(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  run(dir, ['x509', '-req', '-in', csr, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', extFile]);
  return { cert, key };
}

function makeCa(dir: string, name: string): void {
  run(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

export function makePki(): TestPki {
  const dir = tempDir('sg-pki-');
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth';
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    server: issue(dir, 'server', 'server-one', 'ca', serverExt),
    server2: issue(dir, 'server2', 'server-two', 'ca', serverExt),
    client: issue(dir, 'client', 'shadowgate-client', 'ca', 'extendedKeyUsage=clientAuth'),
    stranger: issue(dir, 'stranger', 'stranger', 'other-ca', 'extendedKeyUsage=clientAuth'),
    read: (path: string) => readFileSync(path, 'utf8'),
  };
}
