// What the demo's candidate deserves: the same models, the same traffic law and the route's own compare
// rules, run offline through the comparison engine on many exchanges (no sockets: each model's decision
// is a pure function of the request bytes). The live window and the replay then decide on fewer, noisier
// observations; the demo says how their verdicts relate to this one.
import { RouteComparer, type RouteReport } from '../compare/index.js';
import type { CompareConfig } from '../config/schema.js';
import type { ShadowResponse, ShadowRole } from '../exchange.js';
import { MODEL_NAME, decide, resolveModelOptions, type DemoModelOptions } from './models.js';
import { TrafficGenerator } from './traffic.js';

/** Exchanges the offline run compares: enough for every check's bound to settle on the demo's effects. */
export const DESERVED_EXCHANGES = 3000;

/** The report of the demo's models on `n` offline exchanges (models as the demo starts them). */
export function deservedReport(route: string, compare: Readonly<CompareConfig>, models: Readonly<Record<'incumbent' | 'candidate' | 'baseline', DemoModelOptions>>, seed: number, n = DESERVED_EXCHANGES): RouteReport {
  const resolved = { incumbent: resolveModelOptions(models.incumbent), candidate: resolveModelOptions(models.candidate), baseline: resolveModelOptions(models.baseline) };
  const traffic = new TrafficGenerator(seed + 101);
  const comparer = new RouteComparer(route, compare, { hasBaseline: true, seed });
  const t0 = 1_764_000_000_000;
  for (let i = 0; i < n; i++) {
    const body = traffic.next();
    const raw = Buffer.from(JSON.stringify(body));
    const now = t0 + i * 10;
    const requestId = `deserved-${i}`;
    const call = (role: ShadowRole, offsetMs: number): ShadowResponse => {
      const o = resolved[role];
      const d = decide(o, raw, body, now + offsetMs);
      const headers = { 'content-type': 'application/json' };
      if (d.kind === 'hang') return { target: role, role, status: 0, headers: {}, body: Buffer.alloc(0), latencyMs: 2000, error: 'timeout' };
      if (d.kind === 'fail') return { target: role, role, status: 500, headers, body: Buffer.from('{"error":{}}'), latencyMs: d.delayMs };
      const p = d.prediction;
      const out: Record<string, unknown> = { model: MODEL_NAME[o.kind], prediction: p.prediction, score: p.score, reasons: p.reasons, request_id: requestId };
      if (d.servedAt !== undefined) out.served_at = d.servedAt;
      return { target: role, role, status: 200, headers, body: Buffer.from(JSON.stringify(out)), latencyMs: d.delayMs };
    };
    comparer.record({
      route, requestId, policyId: 'demo', ts: now,
      request: { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/json' }, body: raw },
      responses: { incumbent: call('incumbent', 0), candidate: call('candidate', 2), baseline: call('baseline', 1) },
    }, now);
  }
  return comparer.report(t0 + n * 10);
}

/** "fraud-v2 deserves MARGINAL: latency median ratio 1.2 [1.18, 1.22] (offline, 4000 exchanges of the same models)". */
export function deservedLine(candidate: string, r: RouteReport): string {
  const why = r.window.reasons.map((x) => `${x.metric} ${x.observed ?? '-'}`).join('; ');
  return `  ${candidate} deserves ${r.verdict.toUpperCase()}${why ? `: ${why}` : ''} (offline, ${r.window.compared} exchanges of the same models and traffic)`;
}

/**
 * The live and replay verdicts beside the deserved one: "the same", or why they differ — fewer
 * observations (a bound not yet past its threshold), or a latency measured under other load.
 */
export function agreementLine(deserved: RouteReport, live: RouteReport | undefined, replay: RouteReport | undefined): string {
  const lv = live?.verdict;
  const rv = replay?.verdict;
  const head = `  live verdict ${lv ?? '-'}, replay verdict ${rv ?? '-'}, deserved ${deserved.verdict}`;
  if (lv !== undefined && lv === rv) return `${head}: the same${lv === deserved.verdict ? '' : ` (both short of what it deserves: ${shortOf(deserved, live!)})`}`;
  const parts: string[] = [];
  for (const [name, r] of [['live', live], ['replay', replay]] as const) {
    if (r === undefined || r.verdict === deserved.verdict) continue;
    parts.push(`${name} ${shortOf(deserved, r)}`);
  }
  return `${head}: DIFFERENT${parts.length ? ` — ${parts.join('; ')}` : ''}`;
}

/** Why a span's verdict is not the deserved one: the deserved reasons it has not (yet) reached, with their n. */
function shortOf(deserved: RouteReport, r: RouteReport): string {
  const got = new Map(r.window.checks.map((c) => [c.metric, c]));
  const missing = deserved.window.reasons.filter((x) => got.get(x.metric)?.outcome !== x.outcome);
  const extra = r.window.reasons.filter((x) => !deserved.window.reasons.some((d) => d.metric === x.metric));
  const words: string[] = [];
  for (const m of missing) {
    const c = got.get(m.metric);
    const more = c?.power?.more;
    words.push(`${m.metric} not yet ${m.outcome} on ${c?.n ?? 0} observations${more ? ` (needs ~${more} more)` : ''}`);
  }
  for (const x of extra) words.push(`${x.metric} ${x.outcome} on ${x.n} observations${x.metric.startsWith('latency') ? ' (latency measured under other load)' : ''}`);
  return words.join(', ') || `verdict ${r.verdict} on ${r.window.compared} compared answers`;
}
