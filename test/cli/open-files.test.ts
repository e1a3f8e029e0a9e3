// Issue #10 finding 1, the descriptor side: under `ulimit -n 256`, 300 connections that never send a
// byte must not lock new clients out (on main accept() failed with EMFILE and every new client was
// reset). The enforced connection limit stays below the open-file limit, and at that limit the oldest
// idle connection gives way to the newcomer.
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { startCli } from '../helpers/cli.js';
import { connect } from '../helpers/raw.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/run.js';

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startUpstream((_q, _b, res) => res.end('ok'));
});
afterAll(async () => {
  await upstream.close();
});

it('serves a new client while 300 silent connections are open under ulimit -n 256', async () => {
  const dir = tempDir('sg-nofile-');
  const file = join(dir, 'shadowgate.yaml');
  writeFileSync(file, `
server: { host: 127.0.0.1, port: 0 }
admin: { port: 0, stateFile: ${join(dir, 'state.json')}, auditFile: ${join(dir, 'audit.jsonl')} }
log: { access: false }
upstreams: { a: { url: "${upstream.url}" } }
routes: [{ name: r, match: { pathPrefix: / }, primary: a }]
`);
  // The shadow threads load while the proxy already listens (their module reads take descriptors too):
  // the probe starts once they are ready, the steady state this test is about.
  const { child, lines } = await startCli(['serve', '--config', file], (l) => l.msg === 'shadow threads ready', {}, { openFiles: 256 });
  const line = lines.find((l) => l.msg === 'shadowgate listening')!;
  const silent: Socket[] = [];
  try {
    expect(lines.find((l) => /open-file limit/.test(String(l.msg)))).toMatchObject({ openFileLimit: 256, enforced: 192 });
    const port = line.port as number;
    for (let i = 0; i < 300; i++) {
      const s = await connect(port);
      s.on('error', () => undefined);
      silent.push(s);
    }
    const res = await request(`http://127.0.0.1:${port}/x`, { reset: true });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
    const metrics = await (await request(`http://127.0.0.1:${line.adminPort as number}/metrics`)).body.text();
    const evicted = Number(/shadowgate_connections_closed_total\{reason="evicted"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(evicted).toBeGreaterThanOrEqual(300 - 192);
  } finally {
    for (const s of silent) s.destroy();
    child.kill('SIGKILL');
  }
});
