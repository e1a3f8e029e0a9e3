// Rollout states, the persisted shape of a route's runtime canary state, and the guardrail judgement
// (error-rate delta, p99 ratio, disagreement, verdict). Pure: the runtime owns clocks and effects.
import { z } from 'zod';
import type { GuardrailsConfig } from '../config/schema.js';
import type { WindowSnapshot } from './live-stats.js';

export const ROLLOUT_STATES = ['static', 'idle', 'running', 'paused', 'complete', 'promoted', 'rolled_back'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export type GuardrailMetric = 'error_rate_delta' | 'p99_ratio' | 'disagreement' | 'verdict' | 'manual';

export interface RollbackReason {
  readonly metric: GuardrailMetric;
  readonly value: number | string | null;
  readonly threshold: number | string | null;
  readonly at: number;
  /** Who: `guardrail` for an automatic rollback, else the token name. */
  readonly by: string;
}

export const persistedRouteSchema = z.object({
  override: z.number().min(0).max(100).nullable(),
  state: z.enum(ROLLOUT_STATES),
  step: z.number().int().nonnegative(),
  stepStartedAt: z.number(),
  rollback: z.object({
    metric: z.enum(['error_rate_delta', 'p99_ratio', 'disagreement', 'verdict', 'manual']),
    value: z.union([z.number(), z.string(), z.null()]),
    threshold: z.union([z.number(), z.string(), z.null()]),
    at: z.number(),
    by: z.string(),
  }).nullable(),
  changedAt: z.number(),
  changedBy: z.string(),
  /** Revision of a shared state (absent in files written before the fleet). */
  rev: z.number().int().nonnegative().optional(),
});
export type PersistedRoute = z.infer<typeof persistedRouteSchema>;

export const persistedStateSchema = z.object({
  v: z.literal(1),
  savedAt: z.number(),
  routes: z.record(z.string(), persistedRouteSchema),
});
export type PersistedState = z.infer<typeof persistedStateSchema>;

/** What the comparison engine says about a route (injected: routing does not import compare/). */
export interface CompareSignals {
  readonly observations: number;
  readonly disagreement: number | null;
  readonly verdict: 'pass' | 'marginal' | 'fail' | 'insufficient data';
}
export type SignalsFn = (route: string, nowMs: number) => CompareSignals | undefined;

export type CheckResult = 'pass' | 'breach' | 'insufficient data';

export interface GuardrailCheck {
  readonly metric: Exclude<GuardrailMetric, 'manual'>;
  readonly value: number | string | null;
  readonly threshold: number | string;
  readonly result: CheckResult;
}

/**
 * A fast incumbent makes any ratio look large (0.2 ms vs 0.4 ms is "2×"): the baseline p99 is floored
 * at one millisecond so sub-millisecond jitter never rolls a candidate back.
 */
export const P99_FLOOR_MS = 1;

export function evaluateGuardrails(
  g: Readonly<GuardrailsConfig>,
  incumbent: WindowSnapshot,
  candidate: WindowSnapshot,
  signals: CompareSignals | undefined,
): GuardrailCheck[] {
  const checks: GuardrailCheck[] = [];
  const candEnough = candidate.requests >= g.minRequests;
  const incEnough = incumbent.requests >= g.minRequests;
  // With no incumbent traffic (100% canary) the baseline error rate is taken as 0: stricter, never blind.
  const baseErr = incEnough ? incumbent.errorRate ?? 0 : 0;
  if (candEnough) {
    const delta = (candidate.errorRate ?? 0) - baseErr;
    checks.push({ metric: 'error_rate_delta', value: round(delta), threshold: g.maxErrorRateDelta, result: delta > g.maxErrorRateDelta ? 'breach' : 'pass' });
  } else {
    checks.push({ metric: 'error_rate_delta', value: null, threshold: g.maxErrorRateDelta, result: 'insufficient data' });
  }
  if (candEnough && incEnough && candidate.p99Ms !== null && incumbent.p99Ms !== null) {
    const ratio = candidate.p99Ms / Math.max(incumbent.p99Ms, P99_FLOOR_MS);
    checks.push({ metric: 'p99_ratio', value: round(ratio), threshold: g.maxP99Ratio, result: ratio > g.maxP99Ratio ? 'breach' : 'pass' });
  } else {
    checks.push({ metric: 'p99_ratio', value: null, threshold: g.maxP99Ratio, result: 'insufficient data' });
  }
  if (signals !== undefined) {
    if (signals.disagreement !== null && signals.observations >= g.minRequests) {
      const d = signals.disagreement;
      checks.push({ metric: 'disagreement', value: round(d), threshold: g.maxDisagreement, result: d > g.maxDisagreement ? 'breach' : 'pass' });
    } else {
      checks.push({ metric: 'disagreement', value: null, threshold: g.maxDisagreement, result: 'insufficient data' });
    }
    if (g.failOnVerdict) {
      const v = signals.verdict;
      checks.push({ metric: 'verdict', value: v, threshold: 'fail', result: v === 'fail' ? 'breach' : v === 'insufficient data' ? 'insufficient data' : 'pass' });
    }
  }
  return checks;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
