// Config schema of the protocol features: streamed shadow answers (`routes[].shadow.streamTimeout`) and
// the per-target rewrite of the anonymized copy (`routes[].shadow.rewrite`).
import { z } from 'zod';
import { duration } from '../units.js';

/** A path to one value of the request body: `$.model`, `$.parameters.temperature`, `$.messages[0].role`. */
export const bodyPath = z.string().regex(/^\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])+$/, {
  message: 'expected a path to one value such as $.model or $.parameters.temperature',
});

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: 'expected an HTTP header name' }).toLowerCase();
/** The copy's own markers and framing are not the operator's to change. */
const RESERVED = /^(x-shadowgate-|content-length$|transfer-encoding$|host$|connection$)/;
const rewritableHeader = headerName.refine((h) => !RESERVED.test(h), { message: 'this header is set by shadowgate and cannot be rewritten' });

/**
 * A record whose keys must pass `key`: zod's own record reports a bad key only as "Invalid key in
 * record"; this names the key's own problem at the key's path.
 */
function recordOf<K extends z.ZodType<string, string>, V extends z.ZodType>(key: K, value: V) {
  return z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const k of Object.keys(rec)) {
      const r = key.safeParse(k);
      if (!r.success) ctx.addIssue({ code: 'custom', path: [k], message: r.error.issues[0]?.message ?? 'invalid key' });
    }
  }).transform((rec) => {
    const out: Record<string, z.infer<V>> = {};
    for (const [k, v] of Object.entries(rec)) out[key.parse(k)] = v as z.infer<V>;
    return out;
  });
}

const jsonValue: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]));

export const targetRewriteSchema = z.object({
  /** Body paths set to fixed values (the copy must be JSON; intermediate objects are created). */
  body: recordOf(bodyPath, jsonValue).default({}),
  headers: z.object({
    set: recordOf(rewritableHeader, z.string()).default({}),
    remove: z.array(rewritableHeader).default([]),
  }).strict().default({ set: {}, remove: [] }),
}).strict();
export type TargetRewrite = z.infer<typeof targetRewriteSchema>;

/** Per shadow target (an upstream name in targets or baseline): how its copy differs from the others. */
export const rewriteSchema = z.record(z.string(), targetRewriteSchema);
export type RewriteConfig = z.infer<typeof rewriteSchema>;

/** How long a streamed shadow answer may last in all (the body timeout only bounds a stall). */
export const streamTimeout = duration.default(60_000);

/** Problems of a route's rewrite: every rewritten target must receive the copy. */
export function rewriteProblems(shadow: Record<string, unknown>, path: readonly (string | number)[]): { path: (string | number)[]; message: string }[] {
  const rewrite = shadow.rewrite;
  if (rewrite === null || typeof rewrite !== 'object' || Array.isArray(rewrite)) return [];
  const receivers = [...(Array.isArray(shadow.targets) ? shadow.targets : []), shadow.baseline].filter((t): t is string => typeof t === 'string');
  return Object.keys(rewrite).filter((t) => !receivers.includes(t)).map((t) => ({
    path: [...path, 'rewrite', t],
    message: `"${t}" is not a shadow target of this route (targets: ${receivers.join(', ') || 'none'})`,
  }));
}
