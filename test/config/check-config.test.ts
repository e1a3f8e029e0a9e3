// check-config reports as a compiler does: every problem at `file:line:column` of the offending key, "did
// you mean" for an unknown key or flag, "missing" for an absent required key, the root cause first, a YAML
// syntax error with its whole message, a missing file as a usage error (exit 2). The CLI runs from dist/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { closest, editDistance } from '../../src/config/diagnose.js';
import { ConfigError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const ENV = { SHADOWGATE_KEY: 'test-key-0123456789abcdef0123456789abcdef' };

function located(yaml: string): string[] {
  try {
    parseConfig(yaml, { env: ENV, source: 'c.yaml' });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.located];
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration problems, located', () => {
  it('an unknown key names its own line and column and the nearest known key', () => {
    const out = located([
      'upstreams:',
      '  incumbent: { url: "http://127.0.0.1:9001" }',
      'routes:',
      '  - name: predict',
      '    match: { pathPrefix: /v1/predict }',
      '    primery: incumbent',
    ].join('\n'));
    // One problem, at the misspelt key (line 6, column 5), not "primary: expected string" at the route's line 4.
    expect(out).toEqual(['c.yaml:6:5: routes[0].primery: unknown key (did you mean "primary"? "primary" is required and missing)']);
  });

  it('a top-level typo comes first, before the problems it causes', () => {
    const out = located([
      'routes:',
      '  - name: predict',
      '    primary: incumbent',
      '    shadow: { targets: [incumbent], maxRps: -1 }',
      'upstream:',
      '  incumbent: { url: "http://127.0.0.1:9001" }',
    ].join('\n'));
    expect(out[0]).toBe('c.yaml:5:1: upstream: unknown key (did you mean "upstreams"? "upstreams" is required and missing)');
    expect(out).toContain('c.yaml:4:37: routes[0].shadow.maxRps: expected a positive number');
    expect(out.at(-1)).toMatch(/^c\.yaml:4:25: routes\[0\]\.shadow\.targets\[0\]: unknown upstream "incumbent"/);
  });

  it('an absent required section is "missing", not "expected record, received undefined"', () => {
    const out = located('routes:\n  - name: predict\n    primary: incumbent\n');
    expect(out[0]).toBe('c.yaml:1:1: upstreams: missing (a required key)');
    expect(out.join('\n')).not.toMatch(/received undefined/);
  });

  it('a missing required key in a nested object is reported at its parent', () => {
    const out = located('upstreams:\n  a: { url: "http://127.0.0.1:1" }\nroutes:\n  - name: r\n    match: { pathPrefix: /x }\n');
    expect(out).toEqual(['c.yaml:4:5: routes[0].primary: missing (a required key)']);
  });

  it('an unknown key with nothing close lists the keys that are allowed', () => {
    const out = located('upstreams:\n  a: { url: "http://127.0.0.1:1", zzzzzzzz: 1 }\nroutes: [{ name: r, primary: a }]\n');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^c\.yaml:2:35: upstreams\.a\.zzzzzzzz: unknown key \(known keys: url, timeout, connections/);
  });

  it('a YAML syntax error carries its whole message, with no dangling colon, and its excerpt', () => {
    const out = located('upstreams:\n  a: { url: "http://x"\nroutes: [\n');
    expect(out[0]).toMatch(/^c\.yaml:3:1: Flow map in block collection must be sufficiently indented and end with a \}\n {4}/);
    for (const line of out) expect(line.split('\n')[0]).not.toMatch(/:$/);
  });

  it('keeps the problem lines the admin API and serve print (path, line, message)', () => {
    try {
      parseConfig('upstreams:\n  a: { url: "http://127.0.0.1:1" }\nroutes:\n  - name: r\n    primery: a\n', { env: ENV });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual(['routes[0].primery (line 5): unknown key (did you mean "primary"? "primary" is required and missing)']);
    }
  });
});

describe('did you mean', () => {
  it('edit distance counts a swap of neighbours as one edit', () => {
    expect(editDistance('primery', 'primary')).toBe(1);
    expect(editDistance('rotues', 'routes')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });
  it('suggests only a near key', () => {
    expect(closest('upstream', ['upstreams', 'routes'])).toBe('upstreams');
    expect(closest('zzzz', ['upstreams', 'routes'])).toBeUndefined();
  });
});

describe('shadowgate check-config (process)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('sg-check-config-');
  });

  it('prints file:line:column lines, root cause first, and a count; exit 1', async () => {
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, 'upstreams:\n  a: { url: "http://127.0.0.1:1" }\nrouts:\n  - name: r\n    primary: a\n');
    const r = await runCli(['check-config', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${file}:3:1: routs: unknown key (did you mean "routes"?)\n${file}: invalid configuration (1 problem)\n`);
  });

  it('a file that does not exist is a usage error (exit 2), not an invalid configuration', async () => {
    const r = await runCli(['check-config', '--config', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot read the configuration file ${join(dir, 'nope.yaml')}: no such file (ENOENT)`);
    expect(r.stderr).not.toContain('invalid configuration');
  });

  it('an unknown flag gets the nearest known one', async () => {
    const r = await runCli(['check-config', '--confg', 'x.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('check-config: unknown flag --confg (did you mean --config?)');
    const replay = await runCli(['replay', '--datset', 'x.jsonl']);
    expect(replay.stderr).toContain('unknown flag --datset (did you mean --dataset?)');
  });

  it('an unknown command gets the nearest known one', async () => {
    const r = await runCli(['chek-config']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "chek-config" (did you mean "check-config"?)');
  });
});
