// Every YAML example in docs/protocols.md is a whole configuration that check-config accepts.
// Examples that name files under /etc/shadowgate/ get real ones: certificates made for the test.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makePki, opensslMissing } from '../helpers/certs.js';
import { tempDir } from '../helpers/run.js';

const section = readFileSync(fileURLToPath(new URL('../../docs/protocols.md', import.meta.url)), 'utf8');
const examples = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const missing = opensslMissing();
if (missing) console.warn(missing);
const etc = tempDir('sg-readme-etc-');

beforeAll(() => {
  if (missing) return;
  const pki = makePki();
  for (const [from, to] of [[pki.server.cert, 'tls.crt'], [pki.server.key, 'tls.key'], [pki.ca, 'ca.crt'], [pki.client.cert, 'client.crt'], [pki.client.key, 'client.key']] as const) {
    copyFileSync(from, join(etc, to));
  }
});

it('docs/protocols.md has its examples', () => {
  expect(examples.length).toBeGreaterThanOrEqual(4);
});

examples.forEach((text, i) => it.skipIf(text.includes('/etc/shadowgate/') && missing !== undefined)(`example ${i} passes check-config`, async () => {
  const dir = tempDir('sg-readme-');
  const file = join(dir, `example-${i}.yaml`);
  writeFileSync(file, text.replaceAll('/etc/shadowgate/', `${etc}/`));
  const out = await runCli(['check-config', '--config', file], { env: { SHADOWGATE_KEY: 'readme-example-key-0123456789abcdef0123' } });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
}));
