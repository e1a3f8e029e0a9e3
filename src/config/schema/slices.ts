// Config schema of the slices check (`routes[].shadow.compare.slices`, docs/slices.md): agreement, error
// rate and latency per segment of configured request paths, Benjamini–Hochberg across segments × metrics,
// segments where the candidate is significantly worse flagged. Owned by src/quality/slices.ts. Off unless set.
import { z } from 'zod';
import { compileLabelPath } from '../../kernel/json-path.js';

/** A request path to one value (members and indices), read from the anonymized copy. */
const slicePath = z.string().superRefine((p, ctx) => {
  const r = compileLabelPath(p);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: `expected a path to one value such as $.features.country: \`${p}\`: ${r}` });
});

export const slicesSchema = z.object({
  /** The request fields to segment by; each keeps its `topK` most frequent values, the rest is `(other)`. */
  paths: z.array(z.object({
    path: slicePath,
    topK: z.number().int().min(1).max(50).default(10),
  }).strict()).min(1).max(4),
  /** The false discovery rate held across every segment × metric tested (Benjamini–Hochberg). */
  fdr: z.number().gt(0).max(0.5).default(0.05),
  /** A segment is tested only with this many exchanges in it (and in the rest of the traffic) for the metric. */
  minSamples: z.number().int().min(10).default(100),
  /**
   * How much worse than in the rest of the traffic a segment must be shown to be (the bound of the difference
   * past this, never the point estimate): disagreement and candidate-only failures in rate points, `slower`
   * in the share of exchanges where the candidate answered slower than the incumbent.
   */
  minEffect: z.object({
    disagreement: z.number().min(0).max(1).default(0.02),
    errors: z.number().min(0).max(1).default(0.02),
    slower: z.number().min(0).max(1).default(0.1),
  }).strict().default({ disagreement: 0.02, errors: 0.02, slower: 0.1 }),
}).strict();
export type SlicesConfig = z.infer<typeof slicesSchema>;
