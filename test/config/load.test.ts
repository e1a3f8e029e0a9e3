// Config loading: units, ${ENV} interpolation, and errors that name every wrong path in the file.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseDuration, parseSize } from '../../src/config/units.js';
import { ConfigError } from '../../src/errors.js';

function problemsOf(yaml: string, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    parseConfig(yaml, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
}

const MINIMAL = `
upstreams: { incumbent: { url: "http://127.0.0.1:9101" } }
routes: [{ name: predict, primary: incumbent }]
`;

describe('units', () => {
  it('parses sizes and durations, and plain numbers as bytes and milliseconds', () => {
    expect(parseSize('256kb')).toBe(262_144);
    expect(parseSize('1mb')).toBe(1_048_576);
    expect(parseSize('1.5KB')).toBe(1536);
    expect(parseSize('12')).toBe(12);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseSize('12parsecs')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('parseConfig', () => {
  it('applies defaults and converts units', () => {
    const cfg = parseConfig(`${MINIMAL}\nserver: { maxBodyBytes: 2mb }\n`, { env: {} });
    expect(cfg.server.maxBodyBytes).toBe(2 * 1024 * 1024);
    expect(cfg.server.port).toBe(8080);
    expect(cfg.upstreams.incumbent!.timeout).toBe(2000);
    expect(cfg.admin.host).toBe('127.0.0.1');
    expect(Object.isFrozen(cfg.routes[0])).toBe(true);
  });

  it('interpolates ${ENV} and ${ENV:-default}, and names a missing variable with its path', () => {
    const yaml = `
upstreams: { incumbent: { url: "http://\${HOST:-127.0.0.1}:\${PORT}" } }
anonymize: { key: "\${SG_KEY}" }
`;
    const cfg = parseConfig(yaml, { env: { PORT: '9200', SG_KEY: 'k'.repeat(40) } });
    expect(cfg.upstreams.incumbent!.url).toBe('http://127.0.0.1:9200');
    expect(cfg.anonymize.key).toBe('k'.repeat(40));
    const problems = problemsOf(yaml, { PORT: '9200' });
    expect(problems).toEqual([expect.stringMatching(/^anonymize\.key \(line 3\): environment variable SG_KEY is not set$/)]);
  });

  it('reads a value that is one ${ENV} reference as a number or boolean, and keeps other text as text', () => {
    const cfg = parseConfig(`
server:
  port: \${PORT}
  host: "\${HOST:-127.0.0.1}"
log:
  access: \${ACCESS:-false}
upstreams: { a: { url: "http://x:\${PORT}" } }
`, { env: { PORT: '8181' } });
    expect(cfg.server.port).toBe(8181);
    expect(cfg.log.access).toBe(false);
    expect(cfg.upstreams.a!.url).toBe('http://x:8181');
    expect(cfg.server.host).toBe('127.0.0.1');
  });

  it('names all five paths of a config with five different mistakes, each with its line', () => {
    const problems = problemsOf(`
server: { port: 70000 }
upstreams:
  incumbent: { url: "http://127.0.0.1:9101", timeout: 2 seconds }
routes:
  - name: predict
    primary: incumbnt
    shadow:
      targets: [incumbent]
      maxRps: -5
      policy: missing
`);
    expect(problems).toHaveLength(5);
    const paths = problems.map((p) => p.split(' ')[0]);
    expect(paths.sort()).toEqual([
      'routes[0].primary', 'routes[0].shadow.maxRps', 'routes[0].shadow.policy', 'server.port', 'upstreams.incumbent.timeout',
    ]);
    expect(problems.find((p) => p.startsWith('routes[0].shadow.maxRps'))).toBe('routes[0].shadow.maxRps (line 10): expected a positive number');
    expect(problems.find((p) => p.startsWith('routes[0].primary'))).toContain('unknown upstream "incumbnt"');
  });

  it('refuses raw mirroring unless allowRawData says so explicitly', () => {
    const problems = problemsOf(`${MINIMAL.replace('primary: incumbent }', 'primary: incumbent, shadow: { targets: [incumbent], policy: none } }')}`);
    expect(problems[0]).toMatch(/^routes\[0\]\.shadow\.policy.*allowRawData: true/);
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('upstreams:\n  a: { url: "x"\nroutes: [');
    expect(problems[0]).toMatch(/^line \d+:/);
  });

  it('rejects unknown keys, so a typo never silently disables a setting', () => {
    const problems = problemsOf(`${MINIMAL}\nserver: { maxBodyByte: 1mb }\n`);
    expect(problems[0]).toMatch(/^server/);
    expect(problems[0]).toContain('maxBodyByte');
  });
});

describe('config/example.yaml', () => {
  it('is a valid configuration, and its policies compile with a key', async () => {
    const { loadConfigFile } = await import('../../src/config/load.js');
    const { createAnonymizer } = await import('../../src/anonymize/index.js');
    const cfg = loadConfigFile(new URL('../../config/example.yaml', import.meta.url).pathname, { env: { SHADOWGATE_KEY: 'k'.repeat(44) } });
    expect(cfg.routes.map((r) => r.name)).toEqual(['predict']);
    expect(cfg.routes[0]!.canary!.rollout!.stepDuration).toBe(300_000);
    expect(createAnonymizer(cfg.anonymize, ['default']).policy('default')!.id).toMatch(/^default@[0-9a-f]{12}$/);
    // Without the key it names the variable, never a value.
    expect(() => loadConfigFile(new URL('../../config/example.yaml', import.meta.url).pathname, { env: {} }))
      .toThrow(/anonymize\.key \(line \d+\): environment variable SHADOWGATE_KEY is not set/);
  });
});
