// The demo as an experiment (docs/experiments.md): fraud-v2 is proposed with a hypothesis and criteria
// fixed before any traffic, approved by a second identity (four eyes), started; the canary is refused
// while it runs (the gate). During the traffic the experiment is watched on the live report and concluded
// as soon as its evidence decides (anytime-valid bounds: looking often is safe), or at the deadline; a
// pass opens the gate and the rollout starts, anything else keeps it closed and the demo overrides it
// with a reason, which the audit trail records. Every step goes through the admin API, as an operator's would.
import { request } from 'undici';

/** DEMO ONLY: the approver's token (config/demo.yaml lists its sha256). Public on purpose. */
export const DEMO_LEAD_TOKEN = 'demo-lead-token-not-a-secret';
export const DEMO_EXPERIMENT = 'fraud-v2';

export const DEMO_EXPERIMENT_BODY = {
  id: DEMO_EXPERIMENT,
  route: 'fraud',
  hypothesis: 'fraud-v2 labels as fraud-v1 does (disagreement at most 5 points), fails no more often, and is at most 1.5x slower at the median',
  criteria: [
    { metric: 'disagreement', comparator: '<=', threshold: 0.05, confidence: 0.95 },
    { metric: 'error rate delta', comparator: '<=', threshold: 0.01, confidence: 0.95 },
    { metric: 'latency median ratio', comparator: '<=', threshold: 1.5, confidence: 0.95 },
  ],
  owner: 'fraud-ml',
  privacyRiskAssessment: 'PRA-DEMO-1 (synthetic data only)',
  rollbackPlan: 'canary weight 0: fraud-v1 keeps serving; guardrails roll back on their own',
} as const;

export interface AdminAnswer { readonly status: number; readonly body: Record<string, unknown> }
export type AdminCall = (method: 'GET' | 'POST' | 'PUT', path: string, token: string, body?: unknown) => Promise<AdminAnswer>;

/** An admin API client on the demo's port. */
export function adminClient(adminPort: number): AdminCall {
  return async (method, path, token, body) => {
    const res = await request(`http://127.0.0.1:${adminPort}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body), headersTimeout: 10_000, bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    let parsed: unknown = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { text };
    }
    return { status: res.statusCode, body: (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown> };
  };
}

interface CriterionView {
  readonly metric: string;
  readonly comparator: string;
  readonly threshold: number;
  readonly value: number | null;
  readonly bounds: { low: number; high: number | null } | null;
  readonly n: number | null;
  readonly status: string;
}
interface EvaluationView {
  readonly samples: number;
  readonly minSamples: number | null;
  readonly minSamplesFrom: string | null;
  readonly outcome: string;
  readonly criteria: readonly CriterionView[];
  readonly reasons: readonly string[];
}

const round = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : String(Math.round(x * 10_000) / 10_000));

/** One criterion with its numbers: `disagreement <= 0.05: pass (value 0.02, bounds [0.012, 0.031], n 2504)`. */
export function criterionLine(c: CriterionView): string {
  const b = c.bounds === null ? 'no bounds yet' : `bounds [${round(c.bounds.low)}, ${c.bounds.high === null ? '∞' : round(c.bounds.high)}]`;
  return `${c.metric} ${c.comparator} ${c.threshold}: ${c.status === 'pass' ? 'met' : c.status === 'fail' ? 'NOT met' : 'pending'} (value ${round(c.value)}, ${b}, n ${c.n ?? '-'})`;
}

function errorMessage(a: AdminAnswer): string {
  const e = a.body.error as { code?: string; message?: string } | undefined;
  return e === undefined ? `status ${a.status}` : `${a.status} ${e.code ?? ''}: ${e.message ?? ''}`;
}

async function must(what: string, a: Promise<AdminAnswer>, status = 200): Promise<AdminAnswer> {
  const r = await a;
  if (r.status !== status) throw new Error(`${what}: ${errorMessage(r)}`);
  return r;
}

/**
 * Before any traffic: propose (demo), approve (demo-lead: four eyes), start; a canary asked for now is
 * refused by the gate. The lines say so.
 */
export async function openExperiment(admin: AdminCall, proposer: string): Promise<string[]> {
  const lines: string[] = [];
  const e = DEMO_EXPERIMENT_BODY;
  await must('propose the experiment', admin('POST', '/admin/experiments', proposer, e), 201);
  lines.push(`  ${e.id} on route ${e.route}, proposed by demo, owner ${e.owner}, ${e.privacyRiskAssessment}`);
  lines.push(`  hypothesis: ${e.hypothesis}`);
  lines.push(`  criteria (judged on anytime-valid bounds, fixed before any traffic):`);
  for (const c of e.criteria) lines.push(`    - ${c.metric} ${c.comparator} ${c.threshold} at ${c.confidence} confidence`);
  lines.push(`  rollback plan: ${e.rollbackPlan}`);
  const self = await admin('POST', `/admin/experiments/${e.id}/approve`, proposer);
  lines.push(`  approve by demo (the proposer): ${self.status} (${errorMessage(self).replace(/^\d+ /, '')})`);
  await must('approve the experiment', admin('POST', `/admin/experiments/${e.id}/approve`, DEMO_LEAD_TOKEN));
  lines.push('  approved by demo-lead (approver: four eyes), started by demo');
  await must('start the experiment', admin('POST', `/admin/experiments/${e.id}/start`, proposer));
  const gate = await admin('POST', `/admin/routes/${e.route}/resume`, proposer);
  lines.push(`  the canary asked for now (start the rollout): ${errorMessage(gate)}`);
  return lines;
}

export interface Conclusion {
  readonly lines: string[];
  readonly outcome: string;
  /** When it concluded, in ms since the traffic started. */
  readonly atMs: number;
}

/**
 * During the traffic: reads the experiment's evaluation on the live report every second and concludes
 * when it decides (pass or fail) or at `deadlineMs`; then opens the canary (pass) or overrides the gate
 * with a reason. Resolves with the lines to print.
 */
export async function concludeExperiment(admin: AdminCall, operator: string, opts: { startedAt: number; deadlineMs: number; signal: AbortSignal }): Promise<Conclusion | undefined> {
  const e = DEMO_EXPERIMENT_BODY;
  for (;;) {
    if (opts.signal.aborted) return undefined;
    const elapsed = Date.now() - opts.startedAt;
    const current = (await must('read the experiment', admin('GET', `/admin/experiments/${e.id}`, operator))).body.current as EvaluationView | undefined;
    if (current?.outcome === 'pass' || current?.outcome === 'fail' || elapsed >= opts.deadlineMs) break;
    await new Promise((done) => setTimeout(done, Math.min(1000, Math.max(50, opts.deadlineMs - elapsed))));
  }
  const atMs = Date.now() - opts.startedAt;
  const concluded = await must('conclude the experiment', admin('POST', `/admin/experiments/${e.id}/conclude`, operator));
  const c = (concluded.body.experiment as { conclusion: EvaluationView }).conclusion;
  const lines = [`  concluded at ${(atMs / 1000).toFixed(1)} s: ${c.outcome.toUpperCase()}, ${c.samples} compared exchanges (a pass needs ${c.minSamples ?? '?'}${c.minSamplesFrom === 'power' ? ', from the power calculation' : ''})`];
  for (const k of c.criteria) lines.push(`    - ${criterionLine(k)}`);
  if (c.outcome !== 'pass') for (const r of c.reasons) lines.push(`    because ${r}`);
  if (c.outcome === 'pass') {
    await must('start the rollout', admin('POST', `/admin/routes/${e.route}/resume`, operator));
    lines.push('  gate open: the canary rollout starts (5 → 25 → 50%, guardrails watching)');
  } else {
    const refused = await admin('POST', `/admin/routes/${e.route}/resume`, operator);
    lines.push(`  gate closed: ${errorMessage(refused)}`);
    const reason = `demo: show the rollout although ${e.id} concluded ${c.outcome}`;
    await must('override the gate', admin('POST', `/admin/routes/${e.route}/resume`, operator, { override: true, reason }));
    const audit = await admin('GET', '/admin/audit?limit=20', operator);
    const records = Array.isArray(audit.body.records) ? (audit.body.records as { action?: string; token?: string; reason?: string }[]) : [];
    const o = records.find((r) => r.action === 'experiment.override');
    lines.push(`  overridden by ${o?.token ?? operator} with the reason "${o?.reason ?? reason}": in the audit trail (${o === undefined ? 'NOT found' : 'action experiment.override'}) and the ledger`);
  }
  return { lines, outcome: c.outcome, atMs };
}
