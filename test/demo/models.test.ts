// The demo models: deterministic answers, a candidate that disagrees on a few percent and is slower,
// and every injected difference and fault behaving as its option says.
import { afterEach, describe, expect, test } from 'vitest';
import { request } from 'undici';
import { ShadowgateError } from '../../src/errors.js';
import { decide, extractFeatures, predict, resolveModelOptions } from '../../src/demo/models.js';
import { parseModelArgs, startDemoModel, type DemoModelServer } from '../../src/demo/model-server.js';
import { modelArgs } from '../../src/demo/child.js';
import { createTrafficGenerator } from '../../src/demo/traffic.js';

const servers: DemoModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(opts: Parameters<typeof startDemoModel>[0]): Promise<DemoModelServer> {
  const s = await startDemoModel({ baseLatencyMs: 0, ...opts });
  servers.push(s);
  return s;
}

function bodies(seed: number, n: number): Buffer[] {
  const gen = createTrafficGenerator(seed);
  return Array.from({ length: n }, () => Buffer.from(JSON.stringify(gen.next())));
}

async function post(url: string, body: Buffer, headersTimeout = 10_000) {
  const res = await request(`${url}/v1/predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, headersTimeout });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown> };
}

const withoutId = (j: Record<string, unknown>) => ({ ...j, request_id: undefined });

describe('incumbent', () => {
  test('answers the same input with the same prediction, score and reasons', async () => {
    const a = await start({ kind: 'incumbent' });
    const b = await start({ kind: 'incumbent' });
    for (const body of bodies(11, 40)) {
      const [x, y, z] = await Promise.all([post(a.url, body), post(a.url, body), post(b.url, body)]);
      expect(x.status).toBe(200);
      expect(withoutId(x.json)).toEqual(withoutId(y.json));
      expect(withoutId(x.json)).toEqual(withoutId(z.json));
      expect(x.json).toMatchObject({ model: 'fraud-v1', prediction: expect.stringMatching(/^(fraud|legit)$/) });
      expect(x.json.served_at).toBeUndefined();
    }
  });

  test('echoes x-request-id and rejects a body that is not JSON', async () => {
    const a = await start({ kind: 'incumbent' });
    const ok = await request(`${a.url}/v1/predict`, { method: 'POST', body: '{}', headers: { 'x-request-id': 'r-42' } });
    expect((await ok.body.json()) as object).toMatchObject({ request_id: 'r-42', prediction: 'legit' });
    const bad = await post(a.url, Buffer.from('not json'));
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'SG_ERR_BAD_REQUEST' } });
  });
});

describe('candidate', () => {
  test('disagrees with the incumbent on 1-6% of a seeded sample of traffic', () => {
    const gen = createTrafficGenerator(3);
    let differ = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const x = extractFeatures(gen.next());
      if (predict('incumbent', x).prediction !== predict('candidate', x).prediction) differ++;
    }
    expect(differ / n).toBeGreaterThan(0.01);
    expect(differ / n).toBeLessThan(0.06);
  });

  test('takes about 20% longer to answer than the incumbent for the same inputs', () => {
    const inc = resolveModelOptions({ kind: 'incumbent' });
    const cand = resolveModelOptions({ kind: 'candidate' });
    let a = 0;
    let b = 0;
    for (const raw of bodies(5, 500)) {
      const body: unknown = JSON.parse(raw.toString());
      const x = decide(inc, raw, body, 0);
      const y = decide(cand, raw, body, 0);
      if (x.kind !== 'answer' || y.kind !== 'answer') throw new Error('expected answers');
      a += x.delayMs;
      b += y.delayMs;
    }
    expect(b / a).toBeCloseTo(1.2, 5);
  });

  test('returns a served_at timestamp and the fraud-v2 model name', async () => {
    const c = await start({ kind: 'candidate' });
    const r = await post(c.url, bodies(1, 1)[0]!);
    expect(r.json.model).toBe('fraud-v2');
    expect(Number.isNaN(Date.parse(String(r.json.served_at)))).toBe(false);
  });
});

describe('injected differences and faults', () => {
  test('flipRate 1 flips every label and mirrors the score', async () => {
    const inc = await start({ kind: 'incumbent' });
    const flipped = await start({ kind: 'incumbent', flipRate: 1 });
    for (const body of bodies(8, 20)) {
      const [x, y] = await Promise.all([post(inc.url, body), post(flipped.url, body)]);
      expect(y.json.prediction).not.toBe(x.json.prediction);
      expect(y.json.score).toBeCloseTo(1 - Number(x.json.score), 4);
    }
  });

  test('flipRate 0.1 flips close to 10% of a seeded sample', () => {
    const o = resolveModelOptions({ kind: 'incumbent', flipRate: 0.1 });
    let flips = 0;
    const sample = bodies(9, 3000);
    for (const raw of sample) {
      const body: unknown = JSON.parse(raw.toString());
      const d = decide(o, raw, body, 0);
      if (d.kind === 'answer' && d.prediction.prediction !== predict('incumbent', extractFeatures(body)).prediction) flips++;
    }
    expect(flips / sample.length).toBeGreaterThan(0.08);
    expect(flips / sample.length).toBeLessThan(0.12);
  });

  test('scoreDrift shifts the score, shuffleReasons reorders the same reasons, servedAt random is a timestamp', async () => {
    const inc = await start({ kind: 'incumbent' });
    const odd = await start({ kind: 'incumbent', scoreDrift: 0.05, shuffleReasons: true, servedAt: 'random' });
    let reordered = 0;
    for (const body of bodies(4, 30)) {
      const [x, y] = await Promise.all([post(inc.url, body), post(odd.url, body)]);
      expect(Number(y.json.score)).toBeCloseTo(Math.min(1, Number(x.json.score) + 0.05), 4);
      const rx = x.json.reasons as string[];
      const ry = y.json.reasons as string[];
      expect([...ry].sort()).toEqual([...rx].sort());
      if (rx.length > 1 && rx.join() !== ry.join()) reordered++;
      expect(Number.isNaN(Date.parse(String(y.json.served_at)))).toBe(false);
    }
    expect(reordered).toBeGreaterThan(0);
  });

  test('failRate 1 answers 500 with a JSON error', async () => {
    const m = await start({ kind: 'candidate', failRate: 1 });
    const r = await post(m.url, bodies(2, 1)[0]!);
    expect(r.status).toBe(500);
    expect(r.json).toMatchObject({ error: { code: 'SG_ERR_MODEL' } });
  });

  test('hangRate 1 never answers, and close() still returns', async () => {
    const m = await start({ kind: 'candidate', hangRate: 1 });
    const err = await post(m.url, bodies(2, 1)[0]!, 300).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(m.requests()).toBe(1);
    await m.close();
  });

  test('delayMs adds a fixed delay to every answer', () => {
    const raw = bodies(6, 1)[0]!;
    const body: unknown = JSON.parse(raw.toString());
    const plain = decide(resolveModelOptions({ kind: 'incumbent' }), raw, body, 0);
    const slow = decide(resolveModelOptions({ kind: 'incumbent', delayMs: 250 }), raw, body, 0);
    if (plain.kind !== 'answer' || slow.kind !== 'answer') throw new Error('expected answers');
    expect(slow.delayMs - plain.delayMs).toBeCloseTo(250, 6);
  });
});

describe('options', () => {
  test('bad options are rejected with SG_ERR_DEMO_OPTIONS naming the option', () => {
    expect(() => resolveModelOptions({ kind: 'incumbent', failRate: 2 })).toThrow(/failRate/);
    expect(() => resolveModelOptions({ kind: 'nope' as 'incumbent' })).toThrow(ShadowgateError);
    expect(() => parseModelArgs(['--kind', 'candidate', '--flip-rate', 'lots'])).toThrow(/--flip-rate expects a number/);
    expect(() => parseModelArgs(['--bogus'])).toThrow();
  });

  test('the command-line flags round-trip every option', () => {
    const opts = { kind: 'candidate', port: 0, baseLatencyMs: 3, latencyFactor: 1.5, delayMs: 7, flipRate: 0.1, scoreDrift: 0.02, servedAt: 'random', shuffleReasons: true, failRate: 0.05, hangRate: 0.01, seed: 9 } as const;
    const parsed = parseModelArgs(modelArgs(opts));
    expect(resolveModelOptions(parsed)).toEqual(resolveModelOptions(opts));
  });
});
