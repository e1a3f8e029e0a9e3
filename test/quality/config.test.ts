// routes[].quality in the configuration: defaults, the paths it accepts, its cross-checks, and the
// commented block of config/example.yaml parsed once uncommented.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const KEY = { SHADOWGATE_KEY: 'k'.repeat(44) };
const base = (quality: string, shadow = 'shadow: { targets: [a], policy: none, allowRawData: true }') => `
upstreams: { a: { url: "http://127.0.0.1:9" } }
routes: [{ name: r, primary: a, ${shadow}, quality: ${quality} }]
`;

const problems = (yaml: string): string[] => {
  try {
    parseConfig(yaml, { env: KEY });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
};

describe('routes[].quality', () => {
  it('has Evidently-anchored defaults', () => {
    const cfg = parseConfig(base('{ features: [$.x] }'), { env: KEY });
    expect(cfg.routes[0]!.quality).toEqual({
      features: ['$.x'], referenceSize: 1000, windowSize: 1000, minWindow: 200, checkEvery: 100, sketch: { samples: 1000, categories: 50 },
      driftThreshold: 0.1, pValue: 0.01, psiThreshold: 0.1, limits: { missingIncrease: 0.1, outOfRange: 0.05, unseen: 0.05, typeChange: 0.01 },
      predictions: {}, gate: true,
    });
  });

  it('refuses a path to many values, too many features, quality without shadow, a minWindow the window cannot hold', () => {
    expect(problems(base('{ features: ["$.items[*].x"] }')).join('\n')).toMatch(/path to one value/);
    expect(problems(base(`{ features: [${Array.from({ length: 33 }, (_, i) => `$.f${i}`).join(', ')}] }`)).join('\n')).toMatch(/features/);
    expect(problems(base('{ features: [$.x] }', 'canary: { upstream: a, weight: 0 }')).join('\n')).toMatch(/quality profiles the shadow copies/);
    expect(problems(base('{ features: [$.x], windowSize: 100, minWindow: 150 }')).join('\n')).toMatch(/minWindow 150 is more than the window holds/);
  });

  it('config/example.yaml: its commented quality block parses once uncommented', () => {
    const text = readFileSync(new URL('../../config/example.yaml', import.meta.url), 'utf8');
    const lines = text.split('\n');
    const from = lines.findIndex((l) => l === '    # quality:');
    let to = from + 1;
    while (lines[to]?.startsWith('    #   ')) to++;
    const open = [...lines.slice(0, from), ...lines.slice(from, to).map((l) => l.replace(/^ {4}# /, '    ')), ...lines.slice(to)].join('\n');
    const cfg = parseConfig(open, { env: KEY });
    expect(cfg.routes[0]!.quality).toMatchObject({ features: ['$.transaction.amount', '$.transaction.country', '$.user.email'], predictions: { score: '$.score' } });
  });
});
