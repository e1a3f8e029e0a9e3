// GET/POST /admin/analysis/{route}: the contract Argo Rollouts' web provider and Flagger's webhooks rely
// on, for pass, fail and inconclusive, and the shipped AnalysisTemplate and Canary read exactly it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SYSTEM_ACTOR } from '../../src/routing/runtime.js';
import { TOKENS, call, feedBroken, feedIdentical, startConsoleFixture, type ConsoleFixture } from './admin-fixture.js';

let f: ConsoleFixture;
beforeAll(async () => {
  f = await startConsoleFixture(['same', 'broken', 'fresh', 'rolled']);
  const now = Date.now();
  feedIdentical(f.comparers.get('same')!, 300, now);
  feedBroken(f.comparers.get('broken')!, 300, now);
  feedIdentical(f.comparers.get('fresh')!, 20, now);
  feedIdentical(f.comparers.get('rolled')!, 300, now);
  f.runtime.rollback('rolled', SYSTEM_ACTOR);
});
afterAll(async () => f.close());

interface AnalysisBody { route: string; status: string; pass: boolean; verdict: string | null; reasons: string[]; evidence: { compared: number | null } }

async function analysis(route: string): Promise<AnalysisBody> {
  const a = await call(f.url, 'GET', `/admin/analysis/${route}`, { token: TOKENS.viewer });
  expect(a.status).toBe(200);
  return a.body as AnalysisBody;
}

/** What Flagger does: POST {name, namespace, phase, metadata} with the token in metadata (it cannot send headers). */
async function flagger(route: string, token: string | undefined): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${f.url}/admin/analysis/${route}`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'fraud-model', namespace: 'models', phase: 'Progressing', metadata: token === undefined ? {} : { token } }),
  });
  return { status: res.status, body: await res.json() };
}

describe('analysis hook contract', () => {
  it('pass: identical candidate, enough comparisons', async () => {
    const a = await analysis('same');
    expect(a).toMatchObject({ route: 'same', status: 'pass', pass: true, verdict: 'pass' });
    expect(a.evidence.compared).toBe(300);
    expect(a.reasons.length).toBeGreaterThan(0);
  });

  it('fail: the candidate changes a field on every exchange, and the reason names the field', async () => {
    const a = await analysis('broken');
    expect(a).toMatchObject({ status: 'fail', pass: false, verdict: 'fail' });
    expect(a.reasons.join('\n')).toContain('$.label');
  });

  it('inconclusive: fewer comparisons than the verdict needs, and says so', async () => {
    const a = await analysis('fresh');
    expect(a).toMatchObject({ status: 'inconclusive', pass: false });
    // The observation-count check, with its threshold (minObservations 100) and the 20 seen.
    expect(a.reasons.join('\n')).toMatch(/\b20\b.*\(threshold 100\)/);
  });

  it('fail: a rolled-back route fails whatever its comparison says, with the rollback as the reason', async () => {
    const a = await analysis('rolled');
    expect(a.verdict).toBe('pass');
    expect(a.status).toBe('fail');
    expect(a.reasons[0]).toMatch(/rolled back by shadowgate/);
  });

  it('Flagger: 200 on pass, 412 on fail, 425 on inconclusive, token from metadata.token', async () => {
    expect((await flagger('same', TOKENS.viewer)).status).toBe(200);
    expect((await flagger('broken', TOKENS.viewer)).status).toBe(412);
    const fresh = await flagger('fresh', TOKENS.viewer);
    expect(fresh.status).toBe(425);
    expect(fresh.body).toMatchObject({ status: 'inconclusive' });
  });

  it('Flagger: no token or a wrong one is refused (401), never a pass', async () => {
    expect((await flagger('same', undefined)).status).toBe(401);
    expect((await flagger('same', 'not-a-token')).status).toBe(401);
  });

  it('an unknown route is 404, as a JSON error', async () => {
    const a = await call(f.url, 'GET', '/admin/analysis/nope', { token: TOKENS.viewer });
    expect(a.status).toBe(404);
    expect(a.body).toMatchObject({ error: { code: 'SG_ERR_NOT_FOUND' } });
  });
});

// The fields each tool reads (Argo Rollouts v1.x Metric / WebMetric, Flagger v1beta1 CanaryWebhook):
// a misspelled key would be ignored by the tool, so the test refuses any key it does not know.
const ARGO_METRIC_KEYS = new Set(['name', 'interval', 'initialDelay', 'count', 'successCondition', 'failureCondition', 'failureLimit', 'inconclusiveLimit', 'consecutiveErrorLimit', 'provider']);
const ARGO_WEB_KEYS = new Set(['method', 'url', 'headers', 'body', 'jsonBody', 'timeoutSeconds', 'jsonPath', 'insecure', 'authentication']);
const FLAGGER_WEBHOOK_KEYS = new Set(['name', 'type', 'url', 'timeout', 'metadata', 'muteAlert', 'retries']);
const FLAGGER_HOOK_TYPES = new Set(['rollout', 'pre-rollout', 'post-rollout', 'confirm-rollout', 'confirm-promotion', 'confirm-traffic-increase', 'event', 'rollback']);

type Doc = Record<string, unknown>;
const docs = (path: string): Doc[] => parseAllDocuments(readFileSync(new URL(`../../deploy/${path}`, import.meta.url), 'utf8')).map((d) => {
  expect(d.errors).toEqual([]);
  return d.toJS() as Doc;
});

/** Argo's conditions here are `result == "<word>"` on a `{$.field}` jsonPath: evaluated on our real answer. */
function argoOutcome(metric: Doc, body: Record<string, unknown>): 'Successful' | 'Failed' | 'Inconclusive' {
  const web = (metric.provider as Doc).web as Doc;
  const field = /^\{\$\.([A-Za-z]+)\}$/.exec(String(web.jsonPath))![1]!;
  const result = body[field];
  const holds = (cond: unknown) => {
    const m = /^result == "([a-z]+)"$/.exec(String(cond));
    expect(m, `condition ${String(cond)}`).not.toBeNull();
    return result === m![1];
  };
  return holds(metric.failureCondition) ? 'Failed' : holds(metric.successCondition) ? 'Successful' : 'Inconclusive';
}

describe('progressive-delivery examples in deploy/', () => {
  it('Argo Rollouts AnalysisTemplate: known fields, our URL and auth header, and it maps our answers to Successful/Failed/Inconclusive', async () => {
    const [template, rollout] = docs('argo/analysis-template.yaml');
    expect(template).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate' });
    const metrics = (template!.spec as Doc).metrics as Doc[];
    expect(metrics).toHaveLength(1);
    const metric = metrics[0]!;
    expect(Object.keys(metric).filter((k) => !ARGO_METRIC_KEYS.has(k))).toEqual([]);
    const web = (metric.provider as Doc).web as Doc;
    expect(Object.keys(web).filter((k) => !ARGO_WEB_KEYS.has(k))).toEqual([]);
    expect(String(web.url)).toMatch(/\/admin\/analysis\/\{\{args\.route\}\}$/);
    expect(web.headers).toEqual([{ key: 'Authorization', value: 'Bearer {{args.admin-token}}' }]);
    const args = ((template!.spec as Doc).args as Doc[]).map((a) => a.name);
    for (const used of String(web.url).concat(JSON.stringify(web.headers)).matchAll(/\{\{args\.([a-z-]+)\}\}/g)) expect(args).toContain(used[1]);
    expect(argoOutcome(metric, (await analysis('same')) as unknown as Record<string, unknown>)).toBe('Successful');
    expect(argoOutcome(metric, (await analysis('broken')) as unknown as Record<string, unknown>)).toBe('Failed');
    expect(argoOutcome(metric, (await analysis('fresh')) as unknown as Record<string, unknown>)).toBe('Inconclusive');
    // The Rollout step references the template by name.
    expect(JSON.stringify(rollout)).toContain('"templateName":"shadowgate-shadow-analysis"');
  });

  it('Flagger Canary: known webhook fields and types, our URL, the token in metadata', () => {
    const [canary] = docs('flagger/canary.yaml');
    expect(canary).toMatchObject({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary' });
    const webhooks = ((canary!.spec as Doc).analysis as Doc).webhooks as Doc[];
    expect(webhooks.length).toBeGreaterThan(0);
    for (const w of webhooks) {
      expect(Object.keys(w).filter((k) => !FLAGGER_WEBHOOK_KEYS.has(k))).toEqual([]);
      expect(FLAGGER_HOOK_TYPES.has(String(w.type))).toBe(true);
      expect(String(w.url)).toMatch(/^http:\/\/[^/]+\/admin\/analysis\/[A-Za-z0-9_.-]+$/);
      expect(typeof (w.metadata as Doc).token).toBe('string');
      expect(String(w.timeout)).toMatch(/^\d+s$/);
    }
  });
});
