// Invariant 5: a configuration change is atomic. A bad file keeps the running configuration, says
// which path is wrong and counts result="error"; a good one swaps routes without dropping traffic.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';
import { tempDir } from '../helpers/run.js';

let a: TestUpstream;
let b: TestUpstream;

beforeAll(async () => {
  a = await startUpstream((_q, _b, res) => res.end('from-a'));
  b = await startUpstream((_q, _b, res) => res.end('from-b'));
});

afterAll(async () => {
  await a.close();
  await b.close();
});

const yamlFor = (primary: string) => `
upstreams: { a: { url: "${a.url}" }, b: { url: "${b.url}" } }
routes: [{ name: predict, match: { pathPrefix: /v1 }, primary: ${primary} }]
`;

it('keeps the running config when the new file is invalid, and swaps when it is valid', async () => {
  const dir = tempDir('sg-reload-');
  const file = join(dir, 'shadowgate.yaml');
  writeFileSync(file, yamlFor('a'));
  const gw = await startFromYaml(yamlFor('a'), { configPath: file });
  try {
    expect((await send(gw.url, { path: '/v1/x' })).body).toBe('from-a');

    writeFileSync(file, yamlFor('a').replace('pathPrefix: /v1', 'pathPrefix: v1-without-slash'));
    const bad = await gw.app.reload();
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.problems).toEqual([expect.stringMatching(/^routes\[0\]\.match\.pathPrefix \(line 3\)/)]);
    expect((await send(gw.url, { path: '/v1/x' })).body).toBe('from-a');

    writeFileSync(file, yamlFor('b'));
    expect(await gw.app.reload()).toEqual({ ok: true });
    expect((await send(gw.url, { path: '/v1/x' })).body).toBe('from-b');

    const reloads = await gw.app.metrics.configReloads.get();
    const count = (result: string) => reloads.values.find((v) => v.labels.result === result)?.value ?? 0;
    expect(count('error')).toBe(1);
    expect(count('success')).toBe(1);
  } finally {
    await gw.close();
  }
});

it('a route the reload removes takes its comparison report with it', async () => {
  const withShadow = (names: string[]) => `
upstreams: { a: { url: "${a.url}" }, b: { url: "${b.url}" } }
routes:
${names.map((n) => `  - { name: ${n}, match: { pathPrefix: /${n} }, primary: a, shadow: { targets: [a, b], policy: none, allowRawData: true } }`).join('\n')}
`;
  const gw = await startFromYaml(withShadow(['one', 'two']));
  try {
    expect(gw.app.report('two')).toBeDefined();
    const { parseConfig } = await import('../../src/config/load.js');
    expect(await gw.app.reload(parseConfig(withShadow(['one'])))).toEqual({ ok: true });
    expect(gw.app.report('two')).toBeUndefined();
    expect(gw.app.report('one')).toBeDefined();
  } finally {
    await gw.close();
  }
});
