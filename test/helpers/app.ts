// Starts a real shadowgate (proxy + admin on 127.0.0.1:0) from YAML text, with a silent logger.
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Agent, request } from 'undici';
import { parseConfig } from '../../src/config/load.js';
import { startShadowgate, type StartedShadowgate, type StartOptions } from '../../src/app/app.js';
import { silentLogger } from '../../src/observe/log.js';
import { tempDir } from './run.js';

export const TEST_KEY = 'test-key-0123456789abcdef0123456789abcdef';

export async function startFromYaml(yaml: string, opts: StartOptions = {}): Promise<StartedShadowgate & { url: string; adminUrl: string }> {
  const parsed = parseConfig(yaml, { env: { SHADOWGATE_KEY: TEST_KEY } });
  // Unless the test names them, state and audit files go to a fresh directory: tests never share state.
  const dir = tempDir('sg-test-');
  const config = /stateFile|auditFile/.test(yaml) ? parsed
    : { ...parsed, admin: { ...parsed.admin, stateFile: join(dir, 'state.json'), auditFile: join(dir, 'audit.jsonl'), experimentsFile: join(dir, 'experiments.json') } };
  const started = await startShadowgate(config, { logger: silentLogger(), registry: new Registry(), port: 0, adminPort: 0, ...opts });
  // The proxy listens while its shadow threads load; tests that count copies start once they can take them.
  await started.app.shadowThreads.ready;
  return { ...started, url: `http://127.0.0.1:${started.port}`, adminUrl: `http://127.0.0.1:${started.adminPort}` };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request through undici; the whole answer as text. */
export async function send(url: string, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; dispatcher?: Agent } = {}): Promise<Answer> {
  const res = await request(url + (opts.path ?? '/'), {
    method: (opts.method ?? 'GET') as 'GET',
    headers: opts.headers,
    body: opts.body,
    dispatcher: opts.dispatcher,
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** Runs `count` requests with at most `concurrency` at once; answers in request order. */
export async function sendMany(count: number, concurrency: number, make: (i: number) => Promise<Answer>): Promise<Answer[]> {
  const out: Answer[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await make(i);
    }
  }));
  return out;
}
