// Experiments (docs/experiments.md): a route's candidate bound to a hypothesis and success criteria fixed
// before the data is seen, with an owner, a privacy risk assessment and a rollback plan. Declared here
// (config) or proposed through POST /admin/experiments (the same schema validates both).
import { z } from 'zod';

/** The report's checks an experiment criterion can name (docs/experiments.md says where each is read). */
export const CRITERION_METRICS = [
  'agreement', 'disagreement', 'field regressions', 'error rate delta', 'latency median ratio', 'latency p99 ratio', 'stream ttft ratio',
  // Input features drifted from the route's reference (routes[].quality, docs/quality.md): a count, exact.
  'drift',
  // compare.slices (docs/slices.md): segments where the candidate is significantly worse than in the rest.
  'flagged slices',
] as const;
export type CriterionMetric = (typeof CRITERION_METRICS)[number];

export const criterionSchema = z.object({
  metric: z.enum(CRITERION_METRICS),
  /** `<=`: the value must be shown at or below the threshold (its upper bound is); `>=`: at or above (its lower bound is). */
  comparator: z.enum(['<=', '>=']),
  threshold: z.number().finite(),
  /** The confidence the bound must hold at; the report's bounds are at 1 − compare.regression.alpha, and a criterion asking more stays inconclusive. */
  confidence: z.number().gt(0).lt(1).default(0.95),
}).strict();

export const experimentSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'letters, digits, _ . - (1–64)' }),
  route: z.string().min(1),
  /** The candidate upstream the experiment is about (defaults to the route's canary upstream). */
  candidate: z.string().min(1).optional(),
  hypothesis: z.string().min(1),
  criteria: z.array(criterionSchema).min(1),
  /** Observations (compared exchanges) needed before a conclusion can pass; default: the largest `power.needed` of the criteria's checks. */
  minSamples: z.number().int().positive().optional(),
  owner: z.string().min(1),
  /** A reference to the privacy risk assessment (a document id or URL). */
  privacyRiskAssessment: z.string().min(1),
  rollbackPlan: z.string().min(1),
}).strict();

export type CriterionConfig = z.infer<typeof criterionSchema>;
export type ExperimentConfig = z.infer<typeof experimentSchema>;
