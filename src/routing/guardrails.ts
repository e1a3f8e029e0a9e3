// The guardrail judgement (DESIGN.md invariant 8): pure functions of the step's live counts and
// histograms and the comparison engine's signals. A rollback needs a bound, not a point estimate, past
// its threshold; the bounds are anytime-valid confidence sequences (compare/sequential.ts), so the
// evaluation may look every second and the false-alarm rate stays at 1 − confidence over the whole step.
// Evidence accumulates over the step (counts, not a sliding window): at low traffic a step collects its
// observations whenever they come. Every check states its evidence (n, value, bound, threshold). A hard
// failure (the most recent candidate calls failing) has a fast path the runtime checks on the live
// record path.
import { differenceSequence, proportionSequence } from '../compare/sequential.js';
import { normalQuantile } from '../compare/stats.js';
import type { GuardrailsConfig } from '../config/schema.js';
import type { StepSnapshot, WindowSnapshot } from './live-stats.js';

export type GuardrailMetric = 'error_rate_delta' | 'p99_ratio' | 'disagreement' | 'verdict' | 'hard_failure' | 'max_step_duration' | 'manual';
export const GUARDRAIL_METRICS = ['error_rate_delta', 'p99_ratio', 'disagreement', 'verdict', 'hard_failure', 'max_step_duration', 'manual'] as const;

/** What the comparison engine says about a route (injected: routing does not depend on the engine). */
export interface CompareSignals {
  /** Exchanges both sides answered in the window (failed calls are not observations). */
  readonly observations: number;
  readonly disagreement: number | null;
  /** Lower bound of the disagreement's 95% interval; absent from engines that do not give one. */
  readonly disagreementLow?: number | null;
  readonly verdict: 'pass' | 'marginal' | 'fail' | 'insufficient data';
  /** Which window the engine judged (its report's rolling window); absent from engines that do not say. */
  readonly window?: { readonly fromMs: number; readonly toMs: number };
}
export type SignalsFn = (route: string, nowMs: number) => CompareSignals | undefined;

export type CheckResult = 'pass' | 'breach' | 'insufficient data';

/** One guardrail's judgement and its evidence. */
export interface GuardrailCheck {
  readonly metric: Exclude<GuardrailMetric, 'manual' | 'max_step_duration'>;
  /** Observations judged (candidate requests, or compared exchanges for the engine's signals). */
  readonly n: number;
  /** The point estimate (a ratio, a rate difference, a verdict). */
  readonly value: number | string | null;
  /** The conservative bound that must cross the threshold for a breach (null: nothing to bound). */
  readonly bound: number | null;
  readonly threshold: number | string;
  readonly result: CheckResult;
  /** The evidence in plain words. */
  readonly detail: string;
}

/**
 * A fast incumbent makes any ratio look large (0.2 ms vs 0.4 ms is "2×"): the baseline p99 is floored
 * at one millisecond so sub-millisecond jitter never rolls a candidate back.
 */
export const P99_FLOOR_MS = 1;

/** z of a one-sided bound at `confidence`. */
export function oneSidedZ(confidence: number): number {
  return normalQuantile(confidence);
}

/**
 * z of each of the two p99 bounds (the candidate's lower, the incumbent's upper): Bonferroni, so the
 * ratio bound holds with `confidence` jointly. LiveWindow.snapshot takes it.
 */
export function p99BoundZ(g: Readonly<GuardrailsConfig>): number {
  return normalQuantile(1 - (1 - g.confidence) / 2);
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/**
 * Candidate error rate minus incumbent's over the step: breach when the lower bound of its confidence
 * sequence (each side at α/2, α = 1 − confidence) exceeds the threshold. It judges from minRequests
 * candidate requests of the step on, whenever they came, and at every look after that (the sequence
 * holds at every n, so looking every interval does not inflate α).
 */
function errorRateCheck(g: Readonly<GuardrailsConfig>, inc: StepSnapshot, cand: StepSnapshot): GuardrailCheck {
  const threshold = g.maxErrorRateDelta;
  if (cand.requests < g.minRequests) {
    return { metric: 'error_rate_delta', n: cand.requests, value: null, bound: null, threshold, result: 'insufficient data',
      detail: `${cand.requests} candidate requests this step, fewer than ${g.minRequests}` };
  }
  const alpha = 1 - g.confidence;
  const rate = cand.errors / cand.requests;
  // With no incumbent traffic (100% canary) the incumbent's rate is taken as 0: stricter, never blind.
  const incSeen = inc.requests > 0;
  const delta = incSeen ? rate - inc.errors / inc.requests : rate;
  const low = incSeen ? differenceSequence(cand.errors, cand.requests, inc.errors, inc.requests, alpha)!.low : proportionSequence(cand.errors, cand.requests, alpha)!.low;
  // Conclusive either way or keep collecting: a pass needs the point within the threshold too (a candidate
  // failing 30% of 20 requests is not yet a breach at this confidence, and certainly not a pass).
  const result = low > threshold ? 'breach' : delta > threshold ? 'insufficient data' : 'pass';
  return {
    metric: 'error_rate_delta', n: cand.requests, value: round(delta), bound: round(low), threshold, result,
    detail: `candidate ${cand.errors}/${cand.requests} failed this step, incumbent ${incSeen ? `${inc.errors}/${inc.requests}` : 'no traffic (taken as 0)'}; `
      + `anytime-valid ${round(g.confidence * 100)}% lower bound of the difference ${round(low)}`
      + (result === 'insufficient data' ? `; the point is past ${threshold} and the bound not yet: collecting more` : ''),
  };
}

/**
 * Candidate p99 over incumbent p99 over the step: breach when the candidate's anytime-valid lower bound
 * over the incumbent's upper bound exceeds the threshold, from minRequests on each side on.
 */
function p99Check(g: Readonly<GuardrailsConfig>, inc: StepSnapshot, cand: StepSnapshot): GuardrailCheck {
  const threshold = g.maxP99Ratio;
  if (cand.requests < g.minRequests || inc.requests < g.minRequests || cand.p99Ms === null || inc.p99Ms === null) {
    return { metric: 'p99_ratio', n: cand.requests, value: null, bound: null, threshold, result: 'insufficient data',
      detail: `${cand.requests} candidate and ${inc.requests} incumbent requests this step, need ${g.minRequests} each` };
  }
  const ratio = cand.p99Ms / Math.max(inc.p99Ms, P99_FLOOR_MS);
  // Too few incumbent requests for an upper bound at this confidence: its largest latency stands in.
  const incHigh = Number.isFinite(inc.p99HighMs) ? inc.p99HighMs : inc.maxMs;
  const low = cand.p99LowMs / Math.max(incHigh, P99_FLOOR_MS);
  // Keep collecting when the point is past the threshold and the p99 is higher at all (bound above 1):
  // a tail's point estimate over a few hundred requests is too noisy to hold a step on alone.
  const result = low > threshold ? 'breach' : ratio > threshold && low > 1 ? 'insufficient data' : 'pass';
  return {
    metric: 'p99_ratio', n: cand.requests, value: round(ratio), bound: round(low), threshold, result,
    detail: `p99 ${round(cand.p99Ms)} ms (lower bound ${round(cand.p99LowMs)}) over ${cand.requests} candidate requests this step vs ${round(inc.p99Ms)} ms `
      + `(upper bound ${round(incHigh)}) over ${inc.requests} incumbent requests, floor ${P99_FLOOR_MS} ms`,
  };
}

/** " in the report's window 12:00:00–12:15:00 UTC" when the engine says which window it judged. */
function windowWords(s: CompareSignals): string {
  if (s.window === undefined) return '';
  const t = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  return ` in the report's window ${t(s.window.fromMs)}–${t(s.window.toMs)} UTC`;
}

export function evaluateGuardrails(
  g: Readonly<GuardrailsConfig>,
  incumbent: WindowSnapshot,
  candidate: WindowSnapshot,
  signals: CompareSignals | undefined,
): GuardrailCheck[] {
  const checks: GuardrailCheck[] = [errorRateCheck(g, incumbent.step, candidate.step), p99Check(g, incumbent.step, candidate.step)];
  if (signals !== undefined) {
    const n = signals.observations;
    if (signals.disagreement !== null && n >= g.minRequests) {
      const d = signals.disagreement;
      // An engine without an interval gives only the point: then the point must cross (the old rule).
      const low = signals.disagreementLow ?? d;
      checks.push({ metric: 'disagreement', n, value: round(d), bound: round(low), threshold: g.maxDisagreement, result: low > g.maxDisagreement ? 'breach' : 'pass',
        detail: `${round(d)} over ${n} compared exchanges${windowWords(signals)}, anytime-valid lower bound ${round(low)}` });
    } else {
      checks.push({ metric: 'disagreement', n, value: null, bound: null, threshold: g.maxDisagreement, result: 'insufficient data',
        detail: `${n} compared exchanges, fewer than ${g.minRequests}` });
    }
    if (g.failOnVerdict) {
      const v = signals.verdict;
      checks.push({ metric: 'verdict', n, value: v, bound: null, threshold: 'fail', result: v === 'fail' ? 'breach' : v === 'insufficient data' ? 'insufficient data' : 'pass',
        detail: `the comparison engine's verdict over ${n} compared exchanges${windowWords(signals)} (it fails only on bounds past their thresholds)` });
    }
  }
  return checks;
}

/**
 * The fast path: the candidate fails so far beyond any threshold (by default ≥ 50% 5xx among its last
 * 20 requests) that waiting for the next evaluation only serves more errors. The runtime passes the
 * most recent calls (LiveWindow.recentCalls/recentFailures), so healthy history cannot dilute a
 * candidate that just turned bad. Allocation-free: called on the live record path when a request fails.
 */
export function isHardFailure(g: Readonly<GuardrailsConfig>, requests: number, errors: number): boolean {
  const f = g.hardFailure;
  return f.enabled && requests >= f.minRequests && errors >= f.errorRate * requests;
}

/** The hard-failure check as evidence for the rollback reason and the view. */
export function hardFailureCheck(g: Readonly<GuardrailsConfig>, requests: number, errors: number): GuardrailCheck {
  const rate = requests > 0 ? errors / requests : 0;
  return {
    metric: 'hard_failure', n: requests, value: round(rate), bound: round(rate), threshold: g.hardFailure.errorRate,
    result: isHardFailure(g, requests, errors) ? 'breach' : 'pass',
    detail: `${errors} of the last ${requests} candidate requests failed (5xx or no answer); the fast path rolls back at ${Math.round(g.hardFailure.errorRate * 100)}% of the last ${g.hardFailure.minRequests}, without waiting for the evaluation interval`,
  };
}
