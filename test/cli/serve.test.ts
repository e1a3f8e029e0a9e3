// The real process: check-config names every mistake, serve reloads on SIGHUP and drains on SIGTERM
// without losing an accepted request.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { runCli, startCli } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/run.js';

const dir = tempDir('sg-cli-');
let a: TestUpstream;
let b: TestUpstream;
const held: (() => void)[] = [];

beforeAll(async () => {
  a = await startUpstream((req, _body, res) => {
    if (req.url === '/v1/slow') held.push(() => res.end('from-a-slow'));
    else res.end('from-a');
  });
  b = await startUpstream((_q, _b, res) => res.end('from-b'));
});

afterAll(async () => {
  await a.close();
  await b.close();
});

describe('shadowgate check-config', () => {
  it('names all five mistakes with their paths and exits non-zero', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `
server: { port: 70000 }
upstreams:
  incumbent: { url: "http://127.0.0.1:9101", timeout: 2 seconds }
routes:
  - name: predict
    primary: incumbnt
    shadow: { targets: [incumbent], maxRps: -5, policy: missing }
`);
    const out = await runCli(['check-config', '--config', file]);
    expect(out.code).toBe(1);
    // As a compiler prints them (issue 22): `file:line:column: path: problem`.
    for (const path of ['server.port', 'upstreams.incumbent.timeout', 'routes[0].primary', 'routes[0].shadow.maxRps', 'routes[0].shadow.policy']) {
      expect(out.stderr).toMatch(new RegExp(`^${file.replace(/[.[\]]/g, '\\$&')}:\\d+:\\d+: ${path.replace(/[.[\]]/g, '\\$&')}: `, 'm'));
    }
    expect(out.stderr).toContain(`${file}:8:37: routes[0].shadow.maxRps: expected a positive number`);
  });

  it('accepts a valid file', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, `upstreams: { a: { url: "${a.url}" } }\nroutes: [{ name: r, primary: a }]\n`);
    const out = await runCli(['check-config', '--config', file]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('ok (1 route, 1 upstream)');
  });
});

describe('shadowgate serve', () => {
  it('reloads on SIGHUP, keeps running on a bad file, and drains on SIGTERM without losing a request', async () => {
    const file = join(dir, 'serve.yaml');
    const yaml = (primary: string) => `
server: { host: 127.0.0.1, port: 0, drainTimeout: 10s }
admin: { port: 0, stateFile: ${join(dir, 'state.json')}, auditFile: ${join(dir, 'audit.jsonl')} }
upstreams: { a: { url: "${a.url}" }, b: { url: "${b.url}" } }
routes: [{ name: r, match: { pathPrefix: /v1 }, primary: ${primary} }]
`;
    writeFileSync(file, yaml('a'));
    const { child, line, lines, exited } = await startCli(['serve', '--config', file], (l) => l.msg === 'shadowgate listening');
    try {
      const url = `http://127.0.0.1:${line.port as number}`;
      const get = async (path: string, agent?: Agent) => {
        const r = await request(url + path, { dispatcher: agent });
        return r.body.text();
      };
      expect(await get('/v1/x')).toBe('from-a');

      const waitFor = async (msg: string, n: number) => {
        while (lines.filter((l) => l.msg === msg).length < n) await new Promise((r) => setTimeout(r, 10));
      };
      writeFileSync(file, 'routes: [');
      child.kill('SIGHUP');
      await waitFor('configuration reload failed; the running configuration stays', 1);
      expect(await get('/v1/x')).toBe('from-a');

      writeFileSync(file, yaml('b'));
      child.kill('SIGHUP');
      await waitFor('configuration reloaded', 1);
      expect(await get('/v1/x')).toBe('from-b');

      writeFileSync(file, yaml('a'));
      child.kill('SIGHUP');
      await waitFor('configuration reloaded', 2);
      const agent = new Agent({ connections: 8 });
      const slow = Array.from({ length: 5 }, () => get('/v1/slow', agent));
      while (held.length < 5) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGTERM');
      await waitFor('draining', 1);
      for (const release of held.splice(0)) release();
      expect(await Promise.all(slow)).toEqual(Array(5).fill('from-a-slow'));
      expect(await exited).toBe(0);
      await agent.close();
    } finally {
      // A failed assertion must not leave the server running.
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
