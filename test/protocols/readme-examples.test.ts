// Every YAML example in the README's Protocols section is a whole configuration that check-config accepts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const section = readme.slice(readme.indexOf('\n## Protocols'), readme.indexOf('\n## ', readme.indexOf('\n## Protocols') + 5));
const examples = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

it('the Protocols section has its examples', () => {
  expect(examples.length).toBeGreaterThanOrEqual(2);
});

it.each(examples.map((text, i) => [i, text] as const))('example %i passes check-config', async (i, text) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-readme-'));
  const file = join(dir, `example-${i}.yaml`);
  writeFileSync(file, text);
  const out = await runCli(['check-config', '--config', file], { env: { SHADOWGATE_KEY: 'readme-example-key-0123456789abcdef0123' } });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
});
