// The progressive-delivery hook: GET/POST /admin/analysis/{route} turns a route's rolling-window verdict
// and rollout state into pass | fail | inconclusive with reasons, for Argo Rollouts' web metric provider
// (a successCondition on `status`, always HTTP 200) and Flagger's webhooks (non-2xx is a failed check).
// It reads the report's own window (the same evidence the report, the console and the guardrails read)
// and says which window it is, with each check's bounds and power (what it can find, what it needs).
import type { IncomingMessage } from 'node:http';
import type { RouteView } from '../routing/runtime.js';

export type AnalysisStatus = 'pass' | 'fail' | 'inconclusive';

export interface AnalysisReason {
  readonly metric: string;
  readonly outcome: string;
  readonly observed: number | string | null;
  readonly threshold: number | string | null;
  readonly detail: string;
  /** Observations judged, and the anytime-valid bounds the threshold was tested against (high null: unbounded). */
  readonly n: number | null;
  readonly interval: { readonly low: number | null; readonly high: number | null } | null;
  /** The smallest effect the check finds at n, the effect planned for (compare.verdict.mde) and the n it needs. */
  readonly power: { readonly detectable: number | null; readonly target: number | null; readonly needed: number | null; readonly more: number | null; readonly etaMs: number | null } | null;
}

export interface Analysis {
  readonly route: string;
  readonly status: AnalysisStatus;
  /** The comparison's own verdict (pass | marginal | fail | insufficient data), or null without a comparison. */
  readonly verdict: string | null;
  /** Argo's successCondition can read a boolean as well as the status string. */
  readonly pass: boolean;
  /** One line each: what decided, with the value and the threshold. */
  readonly reasons: readonly string[];
  readonly checks: readonly AnalysisReason[];
  readonly evidence: {
    readonly compared: number | null; readonly windowMs: number | null; readonly rolloutState: string | null; readonly weight: number | null;
    /** Which window decided: the report's rolling window, from and to (ms since the epoch). */
    readonly window: { readonly fromMs: number | null; readonly toMs: number | null; readonly lengthMs: number | null } | null;
  };
  /** The route's data quality and drift (routes[].quality, docs/quality.md), or null when it profiles nothing. */
  readonly quality: AnalysisQuality | null;
  readonly checkedAt: string;
  /** compare.slices (docs/slices.md): the tests run and the segments flagged; absent without slices. */
  readonly slices?: { readonly fdr: number | null; readonly tested: number | null; readonly flagged: readonly { readonly path: string; readonly value: string; readonly metric: string; readonly detail: string }[] };
}

export interface AnalysisQuality {
  /** learning | waiting | ok | alert */
  readonly status: string;
  /** Whether data quality lets a pass stand (closed: the analysis is inconclusive, and so is an experiment's conclusion). */
  readonly gate: 'open' | 'closed';
  readonly reasons: readonly string[];
  readonly features: readonly {
    readonly name: string; readonly mode: string | null; readonly statistic: string | null; readonly value: number | null;
    readonly pValue: number | null; readonly threshold: number | null; readonly drifted: boolean; readonly psi: number | null;
  }[];
  readonly predictions: readonly { readonly kind: string; readonly statistic: string | null; readonly pValue: number | null; readonly distance: number | null; readonly drifted: boolean }[];
}

/** The report's quality section, read as JSON (a fleet's gathered report reads the same way). */
export function qualityOf(report: Record<string, unknown> | undefined): AnalysisQuality | null {
  const q = obj(report?.quality);
  if (q === undefined) return null;
  const gate = obj(q.gate);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    status: str(q.status) ?? 'unknown',
    gate: gate?.enabled === false || gate?.open !== false ? 'open' : 'closed',
    reasons: (Array.isArray(gate?.reasons) ? gate.reasons : []).filter((x): x is string => typeof x === 'string'),
    features: (Array.isArray(q.features) ? q.features : []).map(obj).filter((f) => f !== undefined).map((f) => {
      const d = obj(f.drift);
      return { name: str(f.name) ?? '', mode: str(f.mode), statistic: str(d?.statistic), value: num(d?.value), pValue: num(d?.pValue), threshold: num(d?.threshold), drifted: d?.drifted === true, psi: num(d?.psi) };
    }),
    predictions: (Array.isArray(q.predictions) ? q.predictions : []).map(obj).filter((p) => p !== undefined).map((p) => ({
      kind: str(p.kind) ?? '', statistic: str(p.statistic), pValue: num(p.pValue), distance: num(p.distance), drifted: p.drifted === true,
    })),
  };
}

/**
 * Flagger reads only the status code: 200 advances, anything else halts and counts a failed check.
 * 412: the candidate failed. 425 (Too Early): not enough evidence yet, ask again at the next interval.
 */
export const WEBHOOK_STATUS: Readonly<Record<AnalysisStatus, number>> = { pass: 200, fail: 412, inconclusive: 425 };

/** The webhook body Flagger POSTs is small; anything larger is not Flagger's. */
export const MAX_WEBHOOK_BODY_BYTES = 16 * 1024;

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function numOrText(v: unknown): number | string | null {
  return typeof v === 'string' ? v : num(v);
}

/** One route's report out of whatever shape AdminContext.report returns ({reports}, an array, or one report). */
export function routeReportOf(body: unknown, route: string): Record<string, unknown> | undefined {
  const list: unknown[] = Array.isArray(body) ? body : Array.isArray(obj(body)?.reports) ? (obj(body)!.reports as unknown[]) : [body];
  return list.map(obj).find((r) => r !== undefined && r.route === route && 'verdict' in r);
}

function reasonOf(r: unknown): AnalysisReason | undefined {
  const o = obj(r);
  if (o === undefined) return undefined;
  const i = obj(o.interval);
  const p = obj(o.power);
  return {
    metric: String(o.metric ?? 'check'), outcome: String(o.outcome ?? 'unknown'),
    observed: numOrText(o.observed), threshold: numOrText(o.threshold), detail: typeof o.detail === 'string' ? o.detail : '',
    n: num(o.n),
    interval: i === undefined ? null : { low: num(i.low), high: num(i.high) },
    power: p === undefined ? null : { detectable: num(p.detectable), target: num(p.target), needed: num(p.needed), more: num(p.more), etaMs: num(p.etaMs) },
  };
}

function reasonLine(r: AnalysisReason): string {
  const against = r.threshold === null ? '' : ` (threshold ${r.threshold})`;
  const bounds = r.interval === null ? '' : r.interval.high === null ? ` bounds ≥ ${r.interval.low ?? '-'}` : ` bounds [${r.interval.low ?? '-'}, ${r.interval.high}]`;
  const eta = r.power?.etaMs ? `, ~${Math.max(1, Math.round(r.power.etaMs / 60_000))} min at the current rate` : '';
  const power = r.power?.more ? `; needs ~${r.power.more} more observations to find ${r.power.target}${eta}` : '';
  return `${r.metric} ${r.outcome}: ${r.observed ?? '-'}${bounds}${against}${r.detail ? `: ${r.detail}` : ''}${power}`;
}

/**
 * Decides from evidence only: a route rolled back fails whatever its report says; a comparison verdict of
 * pass passes, fail fails; marginal, insufficient data and no comparison at all are inconclusive.
 */
export function analyse(route: string, view: RouteView | undefined, reportBody: unknown, nowMs: number): Analysis {
  const report = routeReportOf(reportBody, route);
  const window = obj(report?.window);
  const verdict = typeof report?.verdict === 'string' ? report.verdict : null;
  // `checks` (every check the verdict ran) where the report has them, else its `reasons`.
  const listed = Array.isArray(window?.checks) ? window.checks : Array.isArray(window?.reasons) ? window.reasons : [];
  const checks = listed.map(reasonOf).filter((r): r is AnalysisReason => r !== undefined);
  const hints = (Array.isArray(window?.hints) ? window.hints : []).filter((x): x is string => typeof x === 'string');
  const reasons: string[] = [];
  let status: AnalysisStatus;
  if (view?.state === 'rolled_back') {
    status = 'fail';
    const rb = view.rollback;
    reasons.push(rb === null ? 'the canary is rolled back'
      : `the canary was rolled back by ${rb.by} at ${new Date(rb.at).toISOString()}: ${rb.metric} ${rb.value ?? '-'}${rb.threshold === null ? '' : ` (threshold ${rb.threshold})`}`);
  } else if (verdict === null) {
    status = 'inconclusive';
    reasons.push(report === undefined ? 'the route has no shadow comparison yet' : 'the report carries no verdict');
  } else {
    status = verdict === 'pass' ? 'pass' : verdict === 'fail' ? 'fail' : 'inconclusive';
    if (status === 'inconclusive') reasons.push(`comparison verdict ${verdict}`);
  }
  // Data quality: inputs that left their profile (or a reference still learned) keep a pass from standing.
  const quality = qualityOf(report);
  if (quality?.gate === 'closed' && status === 'pass') {
    status = 'inconclusive';
    reasons.push(...quality.reasons);
  }
  // The checks that failed or warned explain a verdict; a pass is explained by all of them.
  const telling = status === 'pass' || (quality?.gate === 'closed' && verdict === 'pass') ? checks : checks.filter((c) => c.outcome !== 'ok');
  for (const c of telling) reasons.push(reasonLine(c));
  if (status !== 'pass') reasons.push(...hints);
  const slices = slicesOf(report);
  return {
    ...(slices === undefined ? {} : { slices }),
    route, status, verdict, pass: status === 'pass', reasons, checks,
    evidence: {
      compared: num(window?.compared), windowMs: num(window?.lengthMs), rolloutState: view?.state ?? null, weight: view?.weight.value ?? null,
      window: window === undefined ? null : { fromMs: num(window.fromMs), toMs: num(window.toMs), lengthMs: num(window.lengthMs) },
    },
    quality,
    checkedAt: new Date(nowMs).toISOString(),
  };
}

function slicesOf(report: Record<string, unknown> | undefined): Analysis['slices'] {
  const s = obj(report?.slices);
  if (s === undefined) return undefined;
  const flagged = (Array.isArray(s.flagged) ? s.flagged : []).map(obj).filter((f): f is Record<string, unknown> => f !== undefined)
    .map((f) => ({ path: String(f.path ?? ''), value: String(f.value ?? ''), metric: String(f.metric ?? ''), detail: typeof f.detail === 'string' ? f.detail : '' }));
  return { fdr: num(s.fdr), tested: num(s.tested), flagged };
}

/**
 * Flagger cannot send headers: its webhook carries the token in `metadata.token` of the JSON it POSTs.
 * Returns an Authorization header value built from it, or undefined (the body is then left for nobody).
 */
export async function webhookAuthorization(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end (the answer must still be sent on this socket), keeping at most the bound.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_WEBHOOK_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_WEBHOOK_BODY_BYTES) return undefined;
  try {
    const token = obj(obj(JSON.parse(Buffer.concat(chunks).toString('utf8')))?.metadata)?.token;
    return typeof token === 'string' && token.length > 0 && token.length <= 512 ? `Bearer ${token}` : undefined;
  } catch {
    return undefined;
  }
}
