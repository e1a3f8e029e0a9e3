// Issue #10 finding 8: in cluster mode /readyz answers 200 only once every worker listens on the
// proxy port, so a load balancer that trusts it never sends a connection that is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { startCli } from '../helpers/cli.js';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/run.js';

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startUpstream((_q, _b, res) => res.end('ok'));
});
afterAll(async () => {
  await upstream.close();
});

it('answers /readyz 503 until both workers listen, then 200, and then the proxy port accepts', async () => {
  const dir = tempDir('sg-ready-');
  const port = await closedPort();
  const file = join(dir, 'shadowgate.yaml');
  writeFileSync(file, `
server: { host: 127.0.0.1, port: ${port}, workers: 2 }
admin: { port: 0, stateFile: ${join(dir, 'state.json')}, auditFile: ${join(dir, 'audit.jsonl')} }
log: { access: false }
upstreams: { a: { url: "${upstream.url}" } }
routes: [{ name: r, match: { pathPrefix: / }, primary: a }]
`);
  // The primary's admin port is up before any worker has started listening.
  const { child, line } = await startCli(['serve', '--config', file], (l) => l.msg === 'shadowgate cluster admin listening');
  try {
    const admin = `http://127.0.0.1:${line.adminPort as number}/readyz`;
    const seen: number[] = [];
    const deadline = Date.now() + 60_000;
    let body: { listening?: number } = {};
    for (;;) {
      const res = await request(admin);
      body = (await res.body.json()) as { listening?: number };
      seen.push(res.statusCode);
      if (res.statusCode === 200 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 10)); // a readiness probe's poll, as a load balancer does
    }
    expect(seen.at(-1)).toBe(200);
    expect(seen.every((s) => s === 503 || s === 200)).toBe(true);
    expect(body.listening).toBe(2);
    // Ready means serving: fresh connections to the proxy port all succeed at once.
    const answers = await Promise.all(Array.from({ length: 10 }, async () => {
      const res = await request(`http://127.0.0.1:${port}/x`, { reset: true });
      return [res.statusCode, await res.body.text()];
    }));
    expect(answers.every(([s, b]) => s === 200 && b === 'ok')).toBe(true);
  } finally {
    child.kill('SIGKILL');
  }
});
