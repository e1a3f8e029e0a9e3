// Config schema of the state backend (`state:`): where routing state, the fleet's evidence, the judge's
// lease and the audit stream live. Owned by src/state/.
import { z } from 'zod';
import { duration } from '../units.js';

export const redisStateSchema = z.object({
  /** redis:// or rediss:// (TLS); a password in the URL may come from ${ENV}. */
  url: z.string().regex(/^rediss?:\/\/[^\s]+$/, { message: 'expected a redis:// or rediss:// URL' }),
  /** Every key and channel starts with this: one Redis can hold several independent fleets. */
  keyPrefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'expected 1-64 letters, digits, _ . : -' }).default('shadowgate:'),
  /** The judge's lease: renewed every third of it; another replica takes over within 2 × lease of a death. */
  lease: duration.default(5000).refine((v) => v >= 200, { message: 'a lease shorter than 200ms would flap' }),
  /** Every replica re-reads the whole routing state this often, so a missed message heals. */
  reconcile: duration.default(500),
  /** A command that gets no answer within this fails (the replica keeps serving on its last state). */
  commandTimeout: duration.default(1000),
}).strict();

export const stateSchema = z.object({
  /** file: one process, embedded (the default); redis: any number of processes share one state. */
  backend: z.enum(['file', 'redis']).default('file'),
  redis: redisStateSchema.optional(),
  /** How often each replica (or cluster worker) publishes its evidence snapshot to the judge. */
  evidenceInterval: duration.default(1000).refine((v) => v >= 50, { message: 'at least 50ms' }),
}).strict().superRefine((s, ctx) => {
  if (s.backend === 'redis' && s.redis === undefined) {
    ctx.addIssue({ code: 'custom', path: ['redis'], message: 'backend redis needs redis: { url: redis://HOST:PORT }' });
  }
});
export type StateConfig = z.infer<typeof stateSchema>;
export type RedisStateConfig = z.infer<typeof redisStateSchema>;
