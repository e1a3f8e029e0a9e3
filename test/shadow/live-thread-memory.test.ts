// The live thread validates policies but never builds the free-text word table: that costs ~40 MB of peak
// heap and ~0.5 s of CPU, and only the shadow threads read text. Copies with names in free text are still
// anonymized (by the thread, which builds its table at start).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';
import { wordTableBuilt } from '../../src/anonymize/data/lexicon.js';

let live: TestUpstream;
let sandbox: TestUpstream;
beforeAll(async () => {
  live = await startUpstream(json(200, { ok: true }));
  sandbox = await startUpstream(json(200, { ok: true }));
});
afterAll(async () => {
  await live.close();
  await sandbox.close();
});

it('anonymizes free-text names on the shadow thread without building the word table on the live thread', async () => {
  const gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s }
upstreams: { live: { url: "${live.url}" }, sandbox: { url: "${sandbox.url}" } }
routes:
  - name: chat
    match: { pathPrefix: /v1/chat }
    primary: live
    shadow: { targets: [sandbox], maxRps: 1000, policy: default }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    default: { fields: { "$.note": text }, unknown: scan }
`);
  try {
    const note = 'Dear Margaret Thornbury, your order is ready.';
    const answer = await send(gw.url, { method: 'POST', path: '/v1/chat', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note }) });
    expect(answer.status).toBe(200);
    const shadow = gw.app.routeShadow('chat')!;
    const deadline = Date.now() + 60_000;
    while ((sandbox.received.length === 0 || shadow.inFlightCount > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sandbox.received).toHaveLength(1);
    const seen = JSON.parse(sandbox.received[0]!.body.toString()) as { note: string };
    expect(seen.note).not.toContain('Thornbury');
    expect(seen.note).toMatch(/^Dear \S+ \S+, your order is ready\.$/);
    expect(wordTableBuilt()).toBe(false);
  } finally {
    await gw.close();
  }
});
