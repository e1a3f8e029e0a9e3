// The canary and report CLI against a real admin API: human and --json output, exit codes 0/1/2,
// and clear messages for a bad token, a low role and an unreachable server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCanaryCli, runReportCli } from '../../src/cli/admin-client.js';
import { startFixture, TOKENS, type Fixture } from './fixture.js';

function capture(env: NodeJS.ProcessEnv) {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) => new Writable({ write(chunk: Buffer, _e, cb) { append(chunk.toString()); cb(); } });
  return {
    io: { stdout: sink((s) => { out += s; }), stderr: sink((s) => { err += s; }), env },
    get out() { return out; },
    get err() { return err; },
  };
}

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => f.close());

const env = (token: string) => ({ SHADOWGATE_ADMIN_URL: f.url, SHADOWGATE_TOKEN: token });

describe('shadowgate canary', () => {
  it('sets a weight and prints the change; --json prints the API answer', async () => {
    const c = capture(env(TOKENS.operator));
    expect(await runCanaryCli(['set', 'predict', '15'], c.io)).toBe(0);
    expect(c.out).toMatch(/predict: set: weight 2% → 15%/);
    expect(f.runtime.route('predict')!.weight.value).toBe(15);
    const j = capture(env(TOKENS.operator));
    expect(await runCanaryCli(['rollback', 'predict', '--json'], j.io)).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ before: { weight: 15 }, after: { weight: 0, state: 'rolled_back' } });
  });

  it('shows status with the source of each weight', async () => {
    const c = capture(env(TOKENS.viewer));
    expect(await runCanaryCli(['status'], c.io)).toBe(0);
    expect(c.out).toMatch(/^ROUTE\s+CANDIDATE\s+WEIGHT\s+SOURCE/);
    expect(c.out).toMatch(/predict\s+candidate\s+\d+%\s+(runtime \(config 2%\)|config)/);
    const one = capture(env(TOKENS.viewer));
    expect(await runCanaryCli(['status', 'predict', '--json'], one.io)).toBe(0);
    expect(JSON.parse(one.out)).toMatchObject({ name: 'predict', weight: { config: 2 } });
  });

  it('explains a bad token (401) and a low role (403), exit 1', async () => {
    const bad = capture(env('wrong'));
    expect(await runCanaryCli(['promote', 'predict'], bad.io)).toBe(1);
    expect(bad.err).toMatch(/refused the token.*401 SG_ERR_UNAUTHORIZED.*SHADOWGATE_TOKEN/);
    const low = capture(env(TOKENS.viewer));
    expect(await runCanaryCli(['promote', 'predict'], low.io)).toBe(1);
    expect(low.err).toMatch(/not allowed.*operator role.*403/);
  });

  it('explains an unreachable admin API, exit 1', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const c = capture({ SHADOWGATE_ADMIN_URL: `http://127.0.0.1:${port}`, SHADOWGATE_TOKEN: TOKENS.admin });
    expect(await runCanaryCli(['status'], c.io)).toBe(1);
    expect(c.err).toMatch(/cannot reach the admin API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  });

  it('rejects bad usage with exit 2 before calling anything', async () => {
    for (const argv of [['set', 'predict', '150'], ['set', 'predict'], ['set', 'predict', 'x'], ['jump', 'predict'], [], ['rollback'], ['pause', 'predict', 'extra'], ['status', '--bogus']]) {
      const c = capture(env(TOKENS.admin));
      expect(await runCanaryCli(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err).toMatch(/usage: shadowgate canary/);
    }
  });

  it('reports an error from the API (unknown route) with its code, exit 1', async () => {
    const c = capture(env(TOKENS.operator));
    expect(await runCanaryCli(['pause', 'ghost'], c.io)).toBe(1);
    expect(c.err).toMatch(/route "ghost" not found \(404 SG_ERR_NOT_FOUND\)/);
  });
});

describe('shadowgate report', () => {
  it('prints the comparison report table, or JSON with --json', async () => {
    const c = capture(env(TOKENS.viewer));
    expect(await runReportCli([], c.io)).toBe(0);
    expect(c.out).toMatch(/route predict\s+verdict INSUFFICIENT DATA/);
    const j = capture(env(TOKENS.viewer));
    expect(await runReportCli(['predict', '--json'], j.io)).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ reports: [{ route: 'predict' }] });
    const missing = capture(env(TOKENS.viewer));
    expect(await runReportCli(['ghost'], missing.io)).toBe(1);
  });
});
