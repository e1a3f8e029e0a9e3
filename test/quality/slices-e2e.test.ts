// The fairness check end to end: a real shadowgate from YAML, real incumbent and candidate HTTP models,
// demo-shaped traffic (`features.country`, ten countries) whose candidate flips 10% of its labels for one
// country only. That country — and nothing else — is flagged in the report, on /metrics, and in the
// analysis endpoint; an experiment with the `flagged slices` criterion fails on it; the report's text shows it;
// and the recorded dataset, replayed, slices exactly as the live copies did.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { replayDataset } from '../../src/replay/replay.js';
import type { RouteReport } from '../../src/compare/index.js';
import type { SliceReport } from '../../src/quality/slices.js';
import { slicesText } from '../../src/quality/slices.js';
import { TEST_KEY, send, sendMany, startFromYaml } from '../helpers/app.js';
import { removeTempDir, tempDir } from '../helpers/run.js';

const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'JP', 'NG', 'ES', 'IT'];
const N = 2000;

interface Model { url: string; close(): Promise<void> }

/** A model labelling request i; the candidate flips every 10th French request's label (10% of FR). */
async function model(candidate: boolean): Promise<Model> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { i: number; features: { country: string } };
      let label = doc.i % 3 === 0 ? 'fraud' : 'ok';
      if (candidate && doc.features.country === 'FR' && Math.floor(doc.i / 10) % 10 === 0) label = label === 'ok' ? 'fraud' : 'ok';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ label, score: doc.i % 3 === 0 ? 0.9 : 0.1 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until(what: string | (() => string), ok: () => boolean, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('slices through a real proxy', () => {
  const models: Model[] = [];
  let gw: Awaited<ReturnType<typeof startFromYaml>> | undefined;
  let report: RouteReport & { slices?: SliceReport };
  const dir = tempDir('sg-slices-');
  let yaml = '';

  beforeAll(async () => {
    const inc = await model(false);
    const cand = await model(true);
    models.push(inc, cand);
    yaml = `
upstreams: { incumbent: { url: "${inc.url}", timeout: 10s }, candidate: { url: "${cand.url}", timeout: 10s } }
server: { maxEventLoopDelay: 60s, shadowQueue: { copies: ${N}, bytes: 64mb } }
routes:
  - name: score
    match: { pathPrefix: /score }
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      maxRps: 100000
      maxInFlight: 1000
      policy: txn
      compare:
        label: $.label
        slices: { paths: [{ path: $.features.country, topK: 10 }, { path: $.user.email, topK: 3 }] }
experiments:
  - id: score-v2
    route: score
    hypothesis: v2 labels as v1 does, for every country
    criteria: [{ metric: flagged slices, comparator: "<=", threshold: 0 }, { metric: disagreement, comparator: "<=", threshold: 0.05 }]
    owner: ml-platform
    privacyRiskAssessment: PRA-1
    rollbackPlan: weight 0
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    txn:
      fields: { "$.user.email": email, "$.features.country": keep }
record: { path: "${join(dir, 'data', 'shadow.jsonl')}", flushInterval: 10ms }
`;
    gw = await startFromYaml(yaml);
    const g = gw;
    await sendMany(N, 16, (i) => send(g.url, {
      method: 'POST', path: '/score', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ i, user: { email: `person${i}@example.org` }, features: { country: COUNTRIES[i % 10], amount: (i * 37) % 500 } }),
    }));
    // Every copy is compared: the thread queue holds all N (under CI's hogs the thread can fall a few hundred
    // copies behind the live answers, and a copy shed as overload would leave the counts below short).
    await until(() => `every copy compared (${JSON.stringify((g.app.report('score') as RouteReport).sinceStart)})`, () => (g.app.report('score') as RouteReport).sinceStart.compared === N && g.app.routeShadow('score')!.inFlightCount === 0);
    report = g.app.report('score') as RouteReport & { slices?: SliceReport };
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all(models.map((m) => m.close()));
    removeTempDir(dir);
  });

  it('flags France, and only France, only on disagreement', () => {
    const s = report.slices!;
    expect(s.tested).toBe(30);
    expect(s.flagged.map((f) => [f.path, f.value, f.metric])).toEqual([['$.features.country', 'FR', 'disagreement']]);
    const fr = s.paths[0]!.segments.find((x) => x.value === 'FR')!;
    expect(fr.exchanges).toBe(N / 10);
    expect(fr.metrics[0]).toMatchObject({ metric: 'disagreement', k: 20, n: 200, rate: 0.1, restRate: 0, status: 'flagged' });
    expect(s.paths[0]!.segments.map((x) => x.value).sort()).toEqual([...COUNTRIES].sort());
    expect(slicesText([report])).toContain('FLAGGED $.features.country = FR: disagreement 10.0% vs 0.0% in the rest');
  });

  it('reads slice values from the anonymized copy: a pseudonymized field segments by its pseudonyms, never the raw value', () => {
    const emails = report.slices!.paths[1]!;
    expect(emails.segments.map((x) => x.value)).toHaveLength(4);
    expect(emails.segments.at(-1)).toMatchObject({ value: '(other)', exchanges: N - 3 });
    for (const seg of emails.segments.slice(0, 3)) {
      expect(seg.value).not.toMatch(/person\d+@example\.org/);
      expect(seg.value).toContain('@');
    }
    // Every address is distinct, so no email segment (and no (other) without its rest) is tested: still 30 tests.
    expect(report.slices!.tested).toBe(30);
  });

  it('exports the flag on /metrics, with the top-k segments as bounded labels', async () => {
    const text = (await send(gw!.adminUrl, { path: '/metrics' })).body;
    expect(text).toContain('shadowgate_slice_flagged{route="score",path="$.features.country",segment="FR",metric="disagreement"} 1');
    expect(text).toContain('shadowgate_slice_flagged{route="score",path="$.features.country",segment="DE",metric="disagreement"} 0');
    expect(text).toContain('shadowgate_slice_rate{route="score",path="$.features.country",segment="FR",metric="disagreement"} 0.1');
    // 10 countries + top-3 emails and (other), 3 metrics each: bounded by topK, whatever the number of distinct values.
    expect(text.match(/^shadowgate_slice_flagged\{/gm)).toHaveLength((10 + 4) * 3);
    expect(text).not.toMatch(/person\d+@example\.org/);
  });

  it('the analysis endpoint shows the flagged slice with the experiment\'s criteria, and the criterion fails', async () => {
    const a = JSON.parse((await send(gw!.adminUrl, { path: '/admin/analysis/score' })).body) as {
      slices: { flagged: { value: string }[] };
      experiment: { evaluation: { outcome: string; criteria: { metric: string; status: string; value: number }[]; reasons: string[] } };
    };
    expect(a.slices.flagged.map((f) => f.value)).toEqual(['FR']);
    expect(a.experiment.evaluation.criteria[0]).toMatchObject({ metric: 'flagged slices', status: 'fail', value: 1 });
    expect(a.experiment.evaluation.outcome).toBe('fail');
    expect(a.experiment.evaluation.reasons.join('\n')).toContain('$.features.country = FR: disagreement');
  });

  it('replay of the recorded dataset slices the same way (the values read from the recorded anonymized request)', async () => {
    await gw!.close();
    gw = undefined;
    const replay = await replayDataset({ config: parseConfig(yaml, { env: { SHADOWGATE_KEY: TEST_KEY } }), datasets: [join(dir, 'data')] });
    expect(replay.sent).toBe(N);
    const offline = replay.reports[0]!.slices!;
    const essence = (x: SliceReport) => ({ tested: x.tested, flagged: x.flagged, segments: x.paths[0]!.segments.map((seg) => [seg.value, seg.exchanges, seg.metrics[0]!.k, seg.metrics[0]!.n]).sort() });
    expect(essence(offline)).toEqual(essence(report.slices!));
  }, 120_000);
});
