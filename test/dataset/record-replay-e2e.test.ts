// The whole loop through a real shadowgate: live traffic is anonymized, mirrored, compared and
// recorded; replaying the recorded dataset gives the live report's verdict and per-field rates, and
// the dataset holds no planted personal value.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RouteReport } from '../../src/compare/index.js';
import { replayDataset } from '../../src/replay/replay.js';
import { startFromYaml, send, sendMany } from '../helpers/app.js';
import { label, replayConfig, useModelRoom } from './models.js';

const room = useModelRoom();

// Overload shedding and the in-flight cap off: 80 requests from 4 clients outpace one shadow thread's three
// sandbox calls and diff per copy, so past 64 in flight copies (rightly) drop; this test is about record →
// replay, not admission.
const gatewayYaml = (inc: string, cand: string, recordPath: string) => `
server: { maxEventLoopDelay: 60s }
upstreams:
  incumbent: { url: "${inc}", timeout: 5s }
  candidate: { url: "${cand}", timeout: 5s }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      baseline: incumbent
      maxRps: 100000
      maxInFlight: 1000
      policy: default
      compare:
        ignore: ["$.request_id"]
        label: "$.prediction"
        verdict: { maxP99Ratio: 1000, minLatencyEffect: 1000, minObservations: 50 }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    default:
      headers: { keep: [content-type] }
      fields: { "$.user.email": email }
      unknown: scan
record: { path: "${recordPath}", flushInterval: 10ms }
`;

function essence(r: RouteReport) {
  const s = r.sinceStart;
  return {
    verdict: s.verdict,
    compared: s.compared,
    agreement: s.label?.agreement,
    fields: s.fields.map((f) => ({ path: f.path, status: f.status, candidateRate: f.candidateRate, noiseRate: f.noiseRate })),
  };
}

describe('record → replay through a real shadowgate', () => {
  it('replays the recorded, anonymized dataset to the live verdict and field rates, with no planted value in it', async () => {
    const { inc, cand } = await room.models((i) => (i % 2 === 0 ? 'fish' : label(i)));
    const recordPath = join(room.dir, 'data', 'shadow.jsonl');
    const gw = await startFromYaml(gatewayYaml(inc.url, cand.url, recordPath));
    const N = 80;
    const planted = (i: number) => `planted.person${i}@example.org`;
    let live: RouteReport;
    try {
      await sendMany(N, 4, (i) => send(gw.url, {
        method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ i, user: { email: planted(i) } }),
      }));
      // Shadow copies finish after the client's answer; a comparison is recorded before in-flight drops.
      const shadow = gw.app.routeShadow('predict')!;
      while (shadow.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
      live = gw.app.report('predict') as RouteReport;
    } finally {
      await gw.close();
    }
    expect(live.sinceStart.exchanges).toBe(N);
    expect(live.verdict).toBe('fail');

    const files = (await readdir(join(room.dir, 'data'))).map((f) => join(room.dir, 'data', f));
    const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('');
    expect(text.trimEnd().split('\n')).toHaveLength(N);
    for (let i = 0; i < N; i++) expect(text).not.toContain(planted(i));
    expect(text).toMatch(/"policy":"default@[0-9a-f]{12}"/);

    const result = await replayDataset({ config: replayConfig(inc.url, cand.url), datasets: [join(room.dir, 'data')] });
    expect(result).toMatchObject({ sent: N, skipped: { notAnonymized: 0, unreadable: 0, unknownRoute: 0 } });
    expect(essence(result.reports[0]!)).toEqual(essence(live));
  });
});
