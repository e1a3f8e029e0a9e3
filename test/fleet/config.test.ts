// state: { backend, redis, evidenceInterval } — file by default; a wrong redis section names its path.
import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const base = { upstreams: { a: { url: 'http://127.0.0.1:9' } } };

function problems(state: unknown): string[] {
  try {
    parseConfig(JSON.stringify({ ...base, state }));
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

it('defaults to the embedded file backend', () => {
  const cfg = parseConfig(JSON.stringify(base));
  expect(cfg.state).toEqual({ backend: 'file', evidenceInterval: 1000 });
});

it('takes a redis backend with durations and a key prefix', () => {
  const cfg = parseConfig(JSON.stringify({ ...base, state: { backend: 'redis', redis: { url: 'redis://127.0.0.1:6379', lease: '2s' } } }));
  expect(cfg.state.redis).toEqual({ url: 'redis://127.0.0.1:6379', keyPrefix: 'shadowgate:', lease: 2000, reconcile: 500, commandTimeout: 1000 });
});

it('names the path of each mistake', () => {
  expect(problems({ backend: 'redis' }).join('\n')).toMatch(/state\.redis.*backend redis needs/);
  expect(problems({ backend: 'redis', redis: { url: 'http://x' } }).join('\n')).toMatch(/state\.redis\.url.*redis:\/\//);
  expect(problems({ backend: 'redis', redis: { url: 'redis://x', lease: '50ms' } }).join('\n')).toMatch(/state\.redis\.lease.*flap/);
  expect(problems({ backend: 'etcd' }).join('\n')).toMatch(/state\.backend/);
});
