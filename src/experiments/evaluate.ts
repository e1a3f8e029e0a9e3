// An experiment's success criteria judged on a route's comparison report, one by one, the way the
// report's own checks judge: on the anytime-valid bounds, never the point estimate. A `<=` criterion
// passes when the upper bound is at or below the threshold and fails when the lower bound is above it;
// `>=` the other way round; in between it is pending (more data will tell). The report is read as plain
// JSON (what GET /admin/report serves), so a fleet's gathered report judges the same way.
import type { CriterionConfig, CriterionMetric, ExperimentConfig } from '../config/schema.js';
import type { Outcome } from './lifecycle.js';

export interface Bounds { readonly low: number; readonly high: number | null }

export interface CriterionStatus {
  readonly metric: CriterionMetric;
  readonly comparator: CriterionConfig['comparator'];
  readonly threshold: number;
  readonly confidence: number;
  /** The point estimate, the bounds the status is decided on, and the observations behind them. */
  readonly value: number | null;
  readonly bounds: Bounds | null;
  readonly n: number | null;
  readonly status: 'pass' | 'fail' | 'pending';
  readonly detail: string;
}

export interface Evaluation {
  /** Compared exchanges in the report's window, and the sample a pass needs (with where that number comes from). */
  readonly samples: number;
  readonly minSamples: number | null;
  readonly minSamplesFrom: 'experiment' | 'power' | 'verdict' | null;
  readonly criteria: readonly CriterionStatus[];
  readonly outcome: Outcome;
  readonly reasons: readonly string[];
  /** The route's data quality (routes[].quality) as the gate read it: a closed gate keeps the outcome from pass. */
  readonly quality?: { readonly status: string; readonly open: boolean; readonly reasons: readonly string[] };
  /** compare.slices: the segments flagged now (docs/slices.md), shown whether or not a criterion names them. */
  readonly flaggedSlices?: readonly string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function boundsOf(v: unknown): Bounds | null {
  const i = obj(v);
  const low = num(i?.low);
  return low === null ? null : { low, high: num(i?.high) };
}

interface Reading { readonly value: number | null; readonly bounds: Bounds | null; readonly n: number | null; readonly missing?: string }

/** Where each criterion's metric is read in the report (its window, and the streams section for TTFT). */
function read(metric: CriterionMetric, report: Json): Reading {
  const w = obj(report.window) ?? {};
  switch (metric) {
    case 'disagreement':
    case 'agreement': {
      const d = obj(w.disagreement);
      if (d === undefined) return { value: null, bounds: null, n: null, missing: 'the report has no label disagreement yet (compare.labelPath, or too few compared exchanges)' };
      const rate = num(d.rate);
      const value = rate === null ? null : rate - (num(d.noiseRate) ?? 0);
      const b = boundsOf(d.differenceInterval);
      if (metric === 'disagreement') return { value, bounds: b, n: num(d.n) };
      // Agreement is 1 − disagreement: its bounds are the mirror image.
      return { value: value === null ? null : 1 - value, bounds: b === null ? null : { low: b.high === null ? 0 : 1 - b.high, high: 1 - b.low }, n: num(d.n) };
    }
    case 'error rate delta': {
      const e = obj(w.errors);
      return { value: num(e?.delta), bounds: boundsOf(e?.deltaInterval), n: num(obj(e?.candidate)?.calls) };
    }
    case 'latency median ratio':
    case 'latency p99 ratio': {
      const c = obj(obj(w.latency)?.comparison);
      const n = pairMin(c?.observations);
      return metric === 'latency median ratio'
        ? { value: num(c?.ratio), bounds: boundsOf(c?.ratioInterval), n }
        : { value: num(c?.p99Ratio), bounds: boundsOf(c?.p99RatioInterval), n };
    }
    case 'field regressions': {
      // The count of fields the report calls regressions (each already judged on its bound): exact.
      const fields = Array.isArray(w.fields) ? w.fields.map(obj) : [];
      const count = fields.filter((f) => f?.status === 'regression').length;
      return { value: count, bounds: { low: count, high: count }, n: num(w.compared) };
    }
    case 'drift': {
      // The count of input features whose drift test or distance is past its threshold (docs/quality.md): exact.
      const q = obj(report.quality);
      if (q === undefined) return { value: null, bounds: null, n: null, missing: 'the route has no data-quality profile (routes[].quality)' };
      if (q.status === 'learning' || q.status === 'waiting') return { value: null, bounds: null, n: null, missing: `data quality is ${String(q.status)}: ${String((obj(q.gate)?.reasons as unknown[] | undefined)?.[0] ?? '')}` };
      const features = Array.isArray(q.features) ? q.features.map(obj) : [];
      const count = features.filter((f) => obj(f?.drift)?.drifted === true).length;
      return { value: count, bounds: { low: count, high: count }, n: num(obj(q.window)?.rows) };
    }
    case 'flagged slices': {
      // A count, like field regressions: each segment already judged (anytime-valid, Benjamini–Hochberg).
      const s = obj(report.slices);
      if (s === undefined) return { value: null, bounds: null, n: null, missing: 'the route has no slices (compare.slices) or no compared exchange yet' };
      const tested = num(s.tested) ?? 0;
      const count = Array.isArray(s.flagged) ? s.flagged.length : 0;
      if (count === 0 && tested === 0) return { value: null, bounds: null, n: 0, missing: `no segment has compare.slices.minSamples (${num(s.minSamples) ?? '?'}) exchanges yet` };
      return { value: count, bounds: { low: count, high: count }, n: tested };
    }
    case 'stream ttft ratio': {
      const t = obj(obj(obj(report.streams)?.comparison)?.timeToFirstToken);
      if (t === undefined) return { value: null, bounds: null, n: null, missing: 'the route has no streamed answers (no time to first token)' };
      return { value: num(t.ratio), bounds: boundsOf(t.ratioInterval), n: pairMin(t.observations) };
    }
  }
  return { value: null, bounds: null, n: null, missing: `unknown metric ${String(metric)}` };
}

/** min of an [incumbent, candidate] observation pair. */
function pairMin(v: unknown): number | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const a = num(v[0]);
  const b = num(v[1]);
  return a === null || b === null ? null : Math.min(a, b);
}

/** The report check whose power calculation sizes a criterion (none for the median ratio or TTFT). */
function checkOf(metric: CriterionMetric, check: string): boolean {
  if (metric === 'agreement' || metric === 'disagreement') return check === 'disagreement';
  if (metric === 'field regressions') return check.startsWith('field ');
  return check === metric;
}

const fmt = (b: Bounds | null) => (b === null ? 'no bounds' : `bounds [${b.low}, ${b.high ?? '∞'}]`);

export function judgeCriterion(c: CriterionConfig, report: Json, reportConfidence?: number): CriterionStatus {
  const r = read(c.metric, report);
  const base = { metric: c.metric, comparator: c.comparator, threshold: c.threshold, confidence: c.confidence, value: r.value, bounds: r.bounds, n: r.n };
  if (reportConfidence !== undefined && c.confidence > reportConfidence + 1e-12) {
    return { ...base, status: 'pending', detail: `asks ${c.confidence} confidence; the report's bounds hold at ${reportConfidence} (lower compare.regression.alpha)` };
  }
  if (r.bounds === null) return { ...base, status: 'pending', detail: r.missing ?? `${c.metric}: not enough evidence for bounds yet` };
  const b = r.bounds;
  let status: CriterionStatus['status'];
  if (c.comparator === '<=') status = b.high !== null && b.high <= c.threshold ? 'pass' : b.low > c.threshold ? 'fail' : 'pending';
  else status = b.low >= c.threshold ? 'pass' : b.high !== null && b.high < c.threshold ? 'fail' : 'pending';
  const why = status === 'pass' ? `${fmt(b)} ${c.comparator} ${c.threshold}`
    : status === 'fail' ? `${fmt(b)}: ${c.comparator === '<=' ? 'lower bound above' : 'upper bound below'} ${c.threshold}`
      : `${fmt(b)} straddle ${c.threshold}: more observations needed`;
  return { ...base, status, detail: `${c.metric} ${r.value ?? '-'} (${why})` };
}

/** The sample a pass needs: the experiment's own, else the largest n the criteria's checks' power needs, else the verdict's minimum. */
function minimumSample(exp: Pick<ExperimentConfig, 'criteria' | 'minSamples'>, report: Json): Pick<Evaluation, 'minSamples' | 'minSamplesFrom'> {
  if (exp.minSamples !== undefined) return { minSamples: exp.minSamples, minSamplesFrom: 'experiment' };
  const checks = (Array.isArray(obj(report.window)?.checks) ? (obj(report.window)!.checks as unknown[]) : []).map(obj).filter((c): c is Json => c !== undefined);
  let needed: number | null = null;
  for (const c of checks) {
    const metric = typeof c.metric === 'string' ? c.metric : '';
    const n = num(obj(c.power)?.needed);
    if (n !== null && exp.criteria.some((k) => checkOf(k.metric, metric))) needed = Math.max(needed ?? 0, n);
  }
  if (needed !== null) return { minSamples: needed, minSamplesFrom: 'power' };
  const floor = num(checks.find((c) => c.metric === 'compared exchanges')?.threshold);
  return floor === null ? { minSamples: null, minSamplesFrom: null } : { minSamples: floor, minSamplesFrom: 'verdict' };
}

/**
 * Every criterion against the route's report: `fail` when any criterion fails (its bound is past the
 * threshold: anytime-valid, so it holds whenever it is read), `pass` only when every criterion passes
 * with at least the minimum sample, else `inconclusive` with the reasons.
 */
export function evaluate(exp: Pick<ExperimentConfig, 'criteria' | 'minSamples'>, reportBody: unknown, reportConfidence?: number): Evaluation {
  const report = obj(reportBody);
  if (report === undefined || obj(report.window) === undefined) {
    const criteria = exp.criteria.map((c): CriterionStatus => ({
      metric: c.metric, comparator: c.comparator, threshold: c.threshold, confidence: c.confidence, value: null, bounds: null, n: null, status: 'pending', detail: 'no comparison report for the route yet',
    }));
    return { samples: 0, minSamples: exp.minSamples ?? null, minSamplesFrom: exp.minSamples === undefined ? null : 'experiment', criteria, outcome: 'inconclusive', reasons: ['the route has no comparison report yet'] };
  }
  const samples = num(obj(report.window)?.compared) ?? 0;
  const min = minimumSample(exp, report);
  const criteria = exp.criteria.map((c) => judgeCriterion(c, report, reportConfidence));
  const failed = criteria.filter((c) => c.status === 'fail');
  const reasons: string[] = [];
  let outcome: Outcome;
  if (failed.length > 0) {
    outcome = 'fail';
    reasons.push(...failed.map((c) => `failed: ${c.detail}`));
  } else {
    const pending = criteria.filter((c) => c.status === 'pending');
    reasons.push(...pending.map((c) => `pending: ${c.detail}`));
    if (min.minSamples === null) reasons.push('the minimum sample is unknown: set minSamples, or wait for the report\'s power calculation');
    else if (samples < min.minSamples) reasons.push(`${samples} compared exchanges of the ${min.minSamples} needed (${min.minSamplesFrom === 'power' ? 'the power calculation' : min.minSamplesFrom === 'experiment' ? 'the experiment\'s minSamples' : 'the verdict\'s minimum'})`);
    outcome = reasons.length === 0 ? 'pass' : 'inconclusive';
    if (outcome === 'pass') reasons.push(...criteria.map((c) => `passed: ${c.detail}`), `${samples} compared exchanges (${min.minSamples} needed)`);
  }
  // Data quality gates the conclusion (docs/quality.md): while the route's inputs have left their profile (or
  // the reference is still learned), the outcome is never pass; a failed criterion still fails.
  const q = qualityGate(report);
  if (q !== undefined && !q.open && outcome !== 'fail') {
    if (outcome === 'pass') reasons.length = 0;
    outcome = 'inconclusive';
    reasons.unshift(...q.reasons);
  }
  const flagged = flaggedSlices(report);
  if (flagged.length > 0) reasons.push(...flagged.map((d) => `slice flagged: ${d}`));
  return { samples, ...min, criteria, outcome, reasons, ...(q !== undefined ? { quality: q } : {}), ...(flagged.length > 0 ? { flaggedSlices: flagged } : {}) };
}

/** The report's quality section as the gate reads it (plain JSON), or undefined when the route profiles nothing. */
function qualityGate(report: Json): Evaluation['quality'] {
  const q = obj(report.quality);
  const gate = obj(q?.gate);
  if (q === undefined || gate === undefined) return undefined;
  const reasons = (Array.isArray(gate.reasons) ? gate.reasons : []).filter((r): r is string => typeof r === 'string');
  return { status: typeof q.status === 'string' ? q.status : 'unknown', open: gate.enabled === false || gate.open !== false, reasons };
}

/** The report's flagged slices, one line each (empty without compare.slices). */
function flaggedSlices(report: Json): string[] {
  const f = obj(report.slices)?.flagged;
  return Array.isArray(f) ? f.map((x) => obj(x)?.detail).filter((d): d is string => typeof d === 'string') : [];
}
