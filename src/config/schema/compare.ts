// Config schema of the comparison engine (`routes[].shadow.compare`). Owned by src/compare/.
import { z } from 'zod';
import { compileComparePath, compileLabelPath } from '../../kernel/json-path.js';
import { duration, size } from '../units.js';
import { slicesSchema } from './slices.js';

/** A rule path of the one JSON-path grammar (docs/json-paths.md): `$.items[*].score`, `$.meta.*`, `$..email`. */
const pathPattern = z.string().regex(/^\$/, { message: 'a path starts with $ (for example $.items[*].score)' }).superRefine((p, ctx) => {
  // Syntax and the old glob forms here; an index (whose reading depends on pathSyntax) below, on the whole section.
  const r = compileComparePath(p, { rfc9535: true });
  if (typeof r === 'string' && p.startsWith('$')) ctx.addIssue({ code: 'custom', message: `\`${p}\`: ${r}` });
});
/** A path to one value (the label): members, quoted members and indices. */
const concretePath = z.string().superRefine((p, ctx) => {
  const r = compileLabelPath(p);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `expected a path to one value such as $.prediction or $.choices[0].label: \`${p}\`: ${r}` });
});

export const toleranceSchema = z.object({
  abs: z.number().nonnegative().optional(),
  rel: z.number().nonnegative().optional(),
}).strict().refine((t) => t.abs !== undefined || t.rel !== undefined, { message: 'set abs, rel or both' });

export const compareSchema = z.object({
  /** Off: mirror only (e.g. to warm a candidate); no comparison, no report for the route. */
  enabled: z.boolean().default(true),
  preset: z.enum(['generic', 'kserve-v2', 'tf-serving', 'openai-chat']).default('generic'),
  /**
   * `rfc9535`: rule paths read `[N]` as index N, as anonymize policies do. Unset, a rule path with an index
   * is refused at load (in the old compare dialect `[0]` meant any element; docs/json-paths.md).
   */
  pathSyntax: z.enum(['rfc9535']).optional(),
  /** Paths or globs whose differences are never counted. */
  ignore: z.array(pathPattern).default([]),
  tolerance: z.record(pathPattern, toleranceSchema).default({}),
  /** Arrays compared as multisets. */
  unordered: z.array(pathPattern).default([]),
  /** Classification path: agreement rate and a bounded confusion matrix. */
  label: concretePath.optional(),
  /** Numeric paths whose |delta| distribution is reported. */
  scores: z.array(pathPattern).default([]),
  /** Ranked-list paths: overlap@k. */
  topK: z.record(pathPattern, z.number().int().positive()).default({}),
  /** String paths compared by similarity (edit distance or token overlap) instead of equality. */
  text: z.record(pathPattern, z.object({ minSimilarity: z.number().min(0).max(1).default(0.8) }).strict()).default({}),
  regression: z.object({
    relThreshold: z.number().nonnegative().default(0.2),
    absThreshold: z.number().nonnegative().default(0.03),
    /** False-alarm rate of every check, held however often the report is looked at (anytime-valid sequences). */
    alpha: z.number().positive().max(0.5).default(0.01),
  }).strict().default({ relThreshold: 0.2, absThreshold: 0.03, alpha: 0.01 }),
  verdict: z.object({
    /** Disagreement (1 - label agreement, or any-diff rate without a label): the interval's lower bound above this fails, the point estimate warns. */
    maxDisagreement: z.number().min(0).max(1).default(0.05),
    /** Candidate p99 over incumbent p99: the ratio interval's lower bound above this fails, the point estimate warns. */
    maxP99Ratio: z.number().positive().default(1.25),
    /** Candidate error rate minus incumbent's: the lower bound of its 95% interval (Newcombe) above this fails, the point estimate warns. */
    maxErrorRateDelta: z.number().min(0).max(1).default(0.01),
    /** Exchanges answered by both sides (failed calls are not observations) before there is a verdict. */
    minObservations: z.number().int().positive().default(50),
    /** Latency counts as slower or faster only when the whole 95% interval of the median ratio is this far from 1. */
    minLatencyEffect: z.number().nonnegative().default(0.05),
    /** ... and the whole interval of the median shift this many milliseconds from 0 (a 50 µs shift is not "slower"). */
    minLatencyEffectMs: z.number().nonnegative().default(1),
    /**
     * The effects an experiment is sized for: each check's report gives the observations it needs to find
     * this effect past its threshold with 90% power, and the smallest effect it can find at its current n.
     */
    mde: z.object({
      /** Label or field disagreement above the noise (absolute). */
      rate: z.number().gt(0).max(1).default(0.1),
      /** Candidate error rate minus incumbent's. */
      errorRateDelta: z.number().gt(0).max(1).default(0.03),
      /** Candidate p99 over incumbent p99. */
      p99Ratio: z.number().gt(1).default(2),
    }).strict().default({ rate: 0.1, errorRateDelta: 0.03, p99Ratio: 2 }),
  }).strict().default({
    maxDisagreement: 0.05, maxP99Ratio: 1.25, maxErrorRateDelta: 0.01, minObservations: 50, minLatencyEffect: 0.05, minLatencyEffectMs: 1,
    mde: { rate: 0.1, errorRateDelta: 0.03, p99Ratio: 2 },
  }),
  window: z.object({ length: duration.default(15 * 60_000), bucket: duration.default(60_000) }).strict()
    .default({ length: 15 * 60_000, bucket: 60_000 }),
  samplesPerField: z.number().int().nonnegative().max(50).default(5),
  maxSampleBytes: size.default(16 * 1024),
  /** field_mismatches_total keeps configured fields and this many top fields; the rest is `other`. */
  topFields: z.number().int().nonnegative().max(200).default(20),
  /** Bounded reservoir per side for the Mann-Whitney test. */
  reservoirSize: z.number().int().min(50).max(100_000).default(2000),
  /** Per-segment agreement, errors and latency with false-discovery control (docs/slices.md); off when absent. */
  slices: slicesSchema.optional(),
}).strict().superRefine((c, ctx) => {
  // A rule path whose meaning changed with the one grammar (`[0]`: any element → index 0) is refused here,
  // with the rewrite to use, never reinterpreted; `pathSyntax: rfc9535` says the index is meant.
  if (c.pathSyntax === 'rfc9535') return;
  const check = (path: string, where: (string | number)[]) => {
    const r = compileComparePath(path, { rfc9535: false });
    if (typeof r === 'string') ctx.addIssue({ code: 'custom', path: where, message: `\`${path}\` in compare.${String(where[0])}: ${r}` });
  };
  c.ignore.forEach((p, i) => check(p, ['ignore', i]));
  c.unordered.forEach((p, i) => check(p, ['unordered', i]));
  c.scores.forEach((p, i) => check(p, ['scores', i]));
  for (const key of ['tolerance', 'topK', 'text'] as const) for (const p of Object.keys(c[key])) check(p, [key, p]);
});
export type CompareConfig = z.infer<typeof compareSchema>;
