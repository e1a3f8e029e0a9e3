// Rollout states, the persisted shape of a route's runtime canary state (its rollback reason with the
// evidence, so a restart still says why), and the guardrail judgement re-exported from guardrails.ts.
// Pure: the runtime owns clocks and effects.
import { z } from 'zod';
import { GUARDRAIL_METRICS, type GuardrailMetric } from './guardrails.js';

export {
  P99_FLOOR_MS, evaluateGuardrails, type CheckResult, type CompareSignals, type GuardrailCheck, type GuardrailMetric, type SignalsFn,
} from './guardrails.js';

export const ROLLOUT_STATES = ['static', 'idle', 'running', 'paused', 'complete', 'promoted', 'rolled_back'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export interface RollbackReason {
  readonly metric: GuardrailMetric;
  readonly value: number | string | null;
  readonly threshold: number | string | null;
  readonly at: number;
  /** Who: `guardrail` for an automatic rollback, else the token name. */
  readonly by: string;
  /** The evidence of an automatic rollback: observations, the bound that crossed, in plain words. */
  readonly n?: number;
  readonly bound?: number | null;
  readonly detail?: string;
}

export const persistedRouteSchema = z.object({
  override: z.number().min(0).max(100).nullable(),
  state: z.enum(ROLLOUT_STATES),
  step: z.number().int().nonnegative(),
  stepStartedAt: z.number(),
  rollback: z.object({
    metric: z.enum(GUARDRAIL_METRICS),
    value: z.union([z.number(), z.string(), z.null()]),
    threshold: z.union([z.number(), z.string(), z.null()]),
    at: z.number(),
    by: z.string(),
    n: z.number().int().nonnegative().optional(),
    bound: z.number().nullable().optional(),
    detail: z.string().max(1000).optional(),
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

/** A rollback reason in plain words: who or what, on which evidence, when. */
export function describeRollback(r: RollbackReason): string {
  const at = new Date(r.at).toISOString();
  if (r.metric === 'manual') return `rolled back by ${r.by} (manual rollback) at ${at}`;
  const pct = (x: unknown) => (typeof x === 'number' ? `${Number((x * 100).toPrecision(3))}%` : String(x));
  const times = (x: unknown) => (typeof x === 'number' ? `${Number(x.toPrecision(3))}×` : String(x));
  const bound = (f: (x: unknown) => string) => (r.bound !== undefined && r.bound !== null && r.bound !== r.value ? ` (bound ${f(r.bound)})` : '');
  const n = r.n !== undefined ? ` over ${r.n} ${r.metric === 'disagreement' || r.metric === 'verdict' ? 'compared exchanges' : 'candidate requests'}` : '';
  const evidence = {
    error_rate_delta: () => `candidate error rate ${pct(r.value)} above the incumbent's${bound(pct)}${n}, limit ${pct(r.threshold)}`,
    p99_ratio: () => `candidate p99 latency ${times(r.value)} the incumbent's${bound(times)}${n}, limit ${times(r.threshold)}`,
    disagreement: () => `disagreement ${pct(r.value)}${bound(pct)}${n}, limit ${pct(r.threshold)}`,
    verdict: () => `comparison verdict ${String(r.value)}${n}`,
    hard_failure: () => `${pct(r.value)} of the last ${r.n ?? ''} candidate requests failing, limit ${pct(r.threshold)} (hard-failure fast path)`,
    max_step_duration: () => `the step could not be judged within rollout.maxStepDuration (${r.detail ?? `${String(r.value)} of ${String(r.threshold)} candidate requests`}); the operator chose rollback`,
  }[r.metric];
  return `rolled back automatically at ${at}: ${evidence()}`;
}
