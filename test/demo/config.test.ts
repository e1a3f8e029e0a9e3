// The demo configuration parses with the real loader, takes the model URLs from the environment and
// says exactly what it needs when they are missing.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const text = readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8');
const env = { DEMO_INCUMBENT_URL: 'http://127.0.0.1:40001', DEMO_CANDIDATE_URL: 'http://127.0.0.1:40002', DEMO_BASELINE_URL: 'http://127.0.0.1:40003', DEMO_DATA_DIR: 'data/demo-test' };

test('the demo config parses with the model URLs and data directory from the environment', () => {
  const config = parseConfig(text, { env });
  expect(config.upstreams.candidate!.url).toBe('http://127.0.0.1:40002');
  expect(config.record?.path).toBe('data/demo-test/shadow.jsonl');
  expect(config.admin.stateFile).toBe('data/demo-test/state.json');
  const route = config.routes[0]!;
  expect(route.shadow).toMatchObject({ targets: ['incumbent', 'candidate'], baseline: 'baseline', sampleRate: 1, policy: 'demo' });
  expect(route.shadow!.compare).toMatchObject({ label: '$.prediction', scores: ['$.score'], unordered: ['$.reasons'] });
  expect(route.shadow!.compare.ignore).toContain('$.request_id');
  expect(route.canary!.rollout!.steps).toEqual([5, 25, 50]);
  // The whole rollout fits a 30 s demo.
  expect(route.canary!.rollout!.stepDuration * 3).toBeLessThanOrEqual(30_000);
  expect(config.anonymize.key).toMatch(/demo/);
  expect(Object.keys(config.anonymize.policies.demo!.fields)).toEqual(expect.arrayContaining(['$.user.email', '$.payment.card', '$.note', '$.user.id']));
});

test('a real key from SHADOWGATE_KEY replaces the demo key', () => {
  expect(parseConfig(text, { env: { ...env, SHADOWGATE_KEY: 'k'.repeat(40) } }).anonymize.key).toBe('k'.repeat(40));
});

test('without the env the defaults still parse (fixed ports for running by hand)', () => {
  const config = parseConfig(text, { env: {} });
  expect(config.upstreams.incumbent!.url).toBe('http://127.0.0.1:9101');
  expect(() => parseConfig(text.replace('${DEMO_INCUMBENT_URL:-http://127.0.0.1:9101}', '${DEMO_INCUMBENT_URL}'), { env: {} })).toThrow(ConfigError);
});
