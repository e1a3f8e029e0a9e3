// Micro-benchmark of the comparison engine: µs per comparison of two ~2 KB JSON answers (parse, diff,
// tally, with and without a noise baseline) and ns per latency-histogram record. Prints one JSON line.
import { pathToFileURL } from 'node:url';
import { RouteComparer, diffExchange } from '../src/compare/index.js';
import { DiffResult, diffJson } from '../src/compare/diff.js';
import { CompiledRules } from '../src/compare/rules.js';
import { newHistogram, recordLatency } from '../src/compare/tally.js';
import { compareSchema } from '../src/config/schema/compare.js';
import type { ShadowExchange, ShadowResponse, ShadowRole } from '../src/exchange.js';

const cfg = compareSchema.parse({
  label: '$.prediction.label',
  scores: ['$.prediction.score', '$.items[*].score'],
  tolerance: { '$.items[*].score': { abs: 1e-4 } },
  unordered: ['$.tags'],
  ignore: ['$.request_id'],
});

/** A production-shaped model answer of about 2 KB; `variant` changes a few values the way a candidate would. */
function answerBody(variant: number): Record<string, unknown> {
  return {
    request_id: `req-${variant}-7f3a9c2e-5d1b-4e8f`,
    model: { name: 'fraud-scorer', version: '2024-11-0' },
    prediction: { label: variant % 7 === 0 ? 'review' : 'approve', score: 0.8123 + variant * 1e-3 },
    items: Array.from({ length: 24 }, (_, i) => ({ id: `sku-${1000 + i}`, score: Math.round((0.9 - i * 0.05) * 1e4) / 1e4 + (variant ? 2e-5 : 0), reason: `feature_${i}_contribution` })),
    tags: variant ? ['card', 'velocity', 'geo', 'device'] : ['geo', 'card', 'device', 'velocity'],
    explanation: { top_features: ['amount', 'merchant_category', 'hour_of_day', 'distance_from_home'], method: 'shap', baseline: 0.1234 },
    served_at: `2026-11-27T02:30:${String(variant % 60).padStart(2, '0')}.000Z`,
  };
}

function response(role: ShadowRole, body: Record<string, unknown>, latencyMs: number): ShadowResponse {
  return { target: role, role, status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), latencyMs };
}

function exchanges(withBaseline: boolean): ShadowExchange[] {
  return Array.from({ length: 64 }, (_, i) => ({
    route: 'bench', requestId: `r${i}`, policyId: 'default@000000000000', ts: 0,
    request: { method: 'POST', url: '/v1/predict', headers: {}, body: Buffer.from('{"x":1}') },
    responses: {
      incumbent: response('incumbent', answerBody(0), 10 + (i % 7)),
      candidate: response('candidate', answerBody(i + 1), 12 + (i % 5)),
      ...(withBaseline ? { baseline: response('baseline', answerBody(0), 10 + (i % 3)) } : {}),
    },
  }));
}

/** Median over `rounds` of the mean ns per call of `fn` run `iterations` times. */
function measure(iterations: number, rounds: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(i);
  const perCall: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    perCall.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return perCall.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

export function main(): Record<string, unknown> {
  const quick = process.env.SHADOWGATE_BENCH_QUICK === '1';
  const n = quick ? 2_000 : 20_000;
  const rounds = quick ? 3 : 7;
  const plain = exchanges(false);
  const noisy = exchanges(true);
  const bodyBytes = plain[0]!.responses.incumbent!.body.length;

  let now = 0;
  const comparer = new RouteComparer('bench', cfg);
  const recordNs = measure(n, rounds, (i) => { comparer.record(plain[i % plain.length]!, (now += 5)); });
  const withBaseline = new RouteComparer('bench', cfg, { hasBaseline: true });
  const recordBaselineNs = measure(n, rounds, (i) => { withBaseline.record(noisy[i % noisy.length]!, (now += 5)); });

  const rules = new CompiledRules(cfg);
  const a = answerBody(0);
  const b = answerBody(3);
  const out = new DiffResult();
  const diffNs = measure(n, rounds, () => { out.clear(); diffJson(a, b, rules, out); });

  // The fast path (a shadow thread's diffExchange): byte-identical answers against the same answers with
  // the candidate's bytes re-indented (equal JSON, so parsed and walked: the slow path), under this
  // configuration (a label and scores: one parse for both) and under ignore rules only (no parse).
  const same = JSON.stringify(a);
  const pair = (other: string): ShadowExchange => ({ ...plain[0]!, responses: { incumbent: { ...plain[0]!.responses.incumbent!, body: Buffer.from(same) }, candidate: { ...plain[0]!.responses.candidate!, body: Buffer.from(other) } } });
  const identical = pair(same);
  const reindented = pair(JSON.stringify(a, null, 1));
  const ignoreOnly = new CompiledRules(compareSchema.parse({ ignore: ['$.request_id'] }));
  const fastNs = measure(n, rounds, () => { diffExchange(identical, rules, { maxSampleBytes: 4096 }); });
  const slowNs = measure(n, rounds, () => { diffExchange(reindented, rules, { maxSampleBytes: 4096 }); });
  const fastIgnoreNs = measure(n, rounds, () => { diffExchange(identical, ignoreOnly, { maxSampleBytes: 4096 }); });
  const slowIgnoreNs = measure(n, rounds, () => { diffExchange(reindented, ignoreOnly, { maxSampleBytes: 4096 }); });

  const h = newHistogram(false);
  const compact = newHistogram(true);
  const hn = quick ? 200_000 : 2_000_000;
  const histNs = measure(hn, rounds, (i) => recordLatency(h, 5 + (i % 997) * 0.173));
  const compactNs = measure(hn, rounds, (i) => recordLatency(compact, 5 + (i % 997) * 0.173));

  const reportMs = measure(quick ? 5 : 20, 3, () => { comparer.report(now); }) / 1e6;
  const result = {
    name: 'compare-micro',
    answerBytes: bodyBytes,
    compareUs: Number((recordNs / 1000).toFixed(2)),
    compareWithBaselineUs: Number((recordBaselineNs / 1000).toFixed(2)),
    diffOnlyUs: Number((diffNs / 1000).toFixed(2)),
    identicalAnswersUs: { labelAndScores: Number((fastNs / 1000).toFixed(2)), ignoreOnly: Number((fastIgnoreNs / 1000).toFixed(2)) },
    sameJsonOtherBytesUs: { labelAndScores: Number((slowNs / 1000).toFixed(2)), ignoreOnly: Number((slowIgnoreNs / 1000).toFixed(2)) },
    histogramRecordNs: Number(histNs.toFixed(1)),
    windowHistogramRecordNs: Number(compactNs.toFixed(1)),
    reportMs: Number(reportMs.toFixed(2)),
    iterations: n,
    rounds,
  };
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(main()));
}
