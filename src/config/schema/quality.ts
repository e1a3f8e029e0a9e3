// Config schema of data quality and drift (`routes[].quality`, docs/quality.md). Owned by src/quality/.
import { z } from 'zod';
import { compileLabelPath } from '../../kernel/json-path.js';

/** A path to one value of the request (or answer) body: members and indices, as a compare label. */
const featurePath = z.string().superRefine((p, ctx) => {
  const r = compileLabelPath(p);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `expected a path to one value such as $.transaction.amount: \`${p}\`: ${r}` });
});

/** Most features one route profiles: bounds memory and the metrics' feature label. */
export const MAX_QUALITY_FEATURES = 32;

export const qualitySchema = z.object({
  /** Request body paths profiled and watched for drift (at most 32). */
  features: z.array(featurePath).min(1).max(MAX_QUALITY_FEATURES).refine((f) => new Set(f).size === f.length, { message: 'features are listed once each' }),
  /** The reference: the route's first N shadow copies (Evidently's switch: ≤ 1000 rows → KS/chi², more → Wasserstein/JS). */
  referenceSize: z.number().int().min(50).max(1_000_000).default(1000),
  /**
   * The reference from a recorded dataset instead of the route's first copies (docs/quality.md): the first
   * `referenceSize` records of `route` (default: this route) in the files (a file, a directory, a glob),
   * each verified against its manifest before use (signature too with a ledger key), decrypted with
   * record.encryption's keys. The records say which fields the policy kept (recorded with `quality:`).
   */
  reference: z.object({
    dataset: z.string().min(1),
    route: z.string().min(1).optional(),
    /** A file without a manifest beside it (not sealed: the active file) is refused unless this is false. */
    requireManifest: z.boolean().default(true),
  }).strict().optional(),
  /** The current window: the latest N copies, compared with the reference. */
  windowSize: z.number().int().min(50).max(10_000).default(1000),
  /** Copies in the window before anything is judged. */
  minWindow: z.number().int().min(20).max(10_000).default(200),
  /** A check every N copies once the reference is learned. */
  checkEvery: z.number().int().min(1).max(100_000).default(100),
  /** Values of a numeric feature's reference kept for the tests (a seeded reservoir), and categories kept per feature (then "other"). */
  sketch: z.object({
    samples: z.number().int().min(100).max(10_000).default(1000),
    categories: z.number().int().min(2).max(200).default(50),
  }).strict().default({ samples: 1000, categories: 50 }),
  /** Evidently's default threshold of the normalized Wasserstein and Jensen–Shannon distances (large references): at or above drifts. */
  driftThreshold: z.number().positive().max(10).default(0.1),
  /**
   * The family-wise p-value threshold of KS and chi² over the route's features (Bonferroni: each feature's test
   * is held to pValue / features). Evidently flags each feature at 0.05; a gate holds the route at 0.01, as
   * compare.regression.alpha does. A large reference's distance needs its test below the same threshold.
   */
  pValue: z.number().positive().max(0.5).default(0.01),
  /** PSI at or above this is flagged in the report (reported beside the test; it does not gate). */
  psiThreshold: z.number().positive().default(0.1),
  /** Profile checks (shares of the current window). */
  limits: z.object({
    /** Missing share above the reference's by more than this. */
    missingIncrease: z.number().min(0).max(1).default(0.1),
    /** Numeric values outside the reference's [min, max]. */
    outOfRange: z.number().min(0).max(1).default(0.05),
    /** Values of a category the reference never saw (features whose reference domain fit the sketch). */
    unseen: z.number().min(0).max(1).default(0.05),
    /** Values of another type than the reference's. */
    typeChange: z.number().min(0).max(1).default(0.01),
  }).strict().default({ missingIncrease: 0.1, outOfRange: 0.05, unseen: 0.05, typeChange: 0.01 }),
  /** Prediction drift (reported, not gated): the candidate's vs the incumbent's score and label distributions; the label is compare.label. */
  predictions: z.object({ score: featurePath.optional() }).strict().default({}),
  /** Data quality gates the route's experiments: a quality alert concludes them inconclusive, never pass (default true). */
  gate: z.boolean().default(true),
}).strict();

export type QualityConfig = z.infer<typeof qualitySchema>;

/** Cross-checks on the raw route: quality profiles the shadow copies, so it needs `shadow:`; the window holds minWindow. */
export function qualityProblems(route: Record<string, unknown>, at: (string | number)[]): { path: (string | number)[]; message: string }[] {
  const q = route.quality;
  if (q === undefined || q === null || typeof q !== 'object') return [];
  const out: { path: (string | number)[]; message: string }[] = [];
  if (route.shadow === undefined) out.push({ path: [...at, 'quality'], message: 'quality profiles the shadow copies: the route needs shadow: (with a policy)' });
  const { windowSize, minWindow } = q as { windowSize?: unknown; minWindow?: unknown };
  if (typeof windowSize === 'number' && typeof minWindow === 'number' && minWindow > windowSize) out.push({ path: [...at, 'quality', 'minWindow'], message: `minWindow ${minWindow} is more than the window holds (windowSize ${windowSize})` });
  return out;
}
