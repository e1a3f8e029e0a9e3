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
  const what = METRIC_WORDS[r.metric];
  const evidence = r.bound !== undefined && r.bound !== null && r.bound !== r.value ? `, bound ${String(r.bound)}` : '';
  const n = r.n !== undefined ? ` over ${r.n} requests` : '';
  return `rolled back automatically at ${at}: ${what} ${String(r.value)}${evidence}${n} past the limit ${String(r.threshold)}${r.detail ? ` (${r.detail})` : ''}`;
}

const METRIC_WORDS: Readonly<Record<GuardrailMetric, string>> = {
  error_rate_delta: 'candidate error rate minus incumbent\'s',
  p99_ratio: 'candidate p99 latency over incumbent\'s',
  disagreement: 'disagreement with the incumbent',
  verdict: 'comparison verdict',
  hard_failure: 'share of candidate requests failing',
  manual: 'manual rollback',
};
