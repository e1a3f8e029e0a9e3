// Replay applies each target's shadow.rewrite as the live pipeline does, and skips (never sends, as live
// drops) a record the rewrite cannot apply to. The sender is the pipeline's seam: it sees each target's request.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { replayDataset, type ReplaySender } from '../../src/replay/replay.js';
import type { AnonymizedRequest, ShadowResponse, ShadowRole } from '../../src/exchange.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-replay-rewrite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = parseConfig(`
upstreams: { a: { url: "http://127.0.0.1:1" }, b: { url: "http://127.0.0.1:2" } }
routes:
  - name: chat
    primary: a
    shadow: { targets: [a, b], policy: none, allowRawData: true, rewrite: { b: { body: { "$.model": chat-v2 }, headers: { set: { x-model: chat-v2 }, remove: [x-tenant] } } } }
`);

const record = (body: string) => JSON.stringify({ v: 1, ts: 1, route: 'chat', policy: 'none', request: { method: 'POST', path: '/v1/chat', headers: { 'content-type': 'application/json', 'x-tenant': 'acme' }, body }, responses: {} });

describe('replay and shadow.rewrite', () => {
  it('sends each target its rewritten copy with the replay marks; a record the rewrite cannot apply to is skipped', async () => {
    const file = join(dir, 'd.jsonl');
    writeFileSync(file, `${record('{"model":"chat-v1","q":1}')}\n${record('not json')}\n`);
    const got: { target: string; req: AnonymizedRequest }[] = [];
    const sender: ReplaySender = {
      send(target: string, role: ShadowRole, req: AnonymizedRequest): Promise<ShadowResponse> {
        got.push({ target, req });
        return Promise.resolve({ target, role, status: 200, headers: {}, body: Buffer.from('{}'), latencyMs: 1 });
      },
      close: () => Promise.resolve(),
    };
    const warnings: string[] = [];
    const result = await replayDataset({ config, datasets: [file], sender, concurrency: 1, onWarning: (w) => warnings.push(w) });
    expect(result).toMatchObject({ sent: 1, skipped: { rewriteError: 1 } });
    expect(warnings).toEqual([`${file}:2: the route's shadow.rewrite cannot apply to this record (its live copy was dropped as rewrite_error); records like it are skipped`]);
    const byTarget = Object.fromEntries(got.map((g) => [g.target, g.req]));
    expect(JSON.parse(byTarget.a!.body.toString())).toEqual({ model: 'chat-v1', q: 1 });
    expect(byTarget.a!.headers).toEqual({ 'content-type': 'application/json', 'x-tenant': 'acme', 'x-shadowgate-shadow': 'replay', 'x-shadowgate-policy': 'none' });
    expect(JSON.parse(byTarget.b!.body.toString())).toEqual({ model: 'chat-v2', q: 1 });
    expect(byTarget.b!.headers).toEqual({ 'content-type': 'application/json', 'x-model': 'chat-v2', 'x-shadowgate-shadow': 'replay', 'x-shadowgate-policy': 'none' });
  });
});
