// Config schema of live routing: canary split, rollout and guardrails (`routes[].canary`), per-route
// live limits (`routes[].limits`) and the admin API (`admin:`). Owned by src/routing/ and src/admin/.
import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../units.js';

/** `10.0.0.0/8`, `192.168.1.7`, `::1`, `fd00::/8`: an address with an optional prefix length. */
export function isAddressOrCidr(s: string): boolean {
  const [addr, bits, extra] = s.split('/');
  const family = addr === undefined ? 0 : isIP(addr);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

const stickyBy = z.string().regex(/^(none|header:[A-Za-z0-9-]+|cookie:[A-Za-z0-9_.-]+)$/, {
  message: 'expected none, header:NAME or cookie:NAME',
});

/**
 * Guardrails roll back only on evidence: a bound (not the point estimate) past its threshold at
 * `confidence`. The hard-failure fast path needs no bound: it is far past every threshold.
 */
export const guardrailsSchema = z.object({
  /** Candidate minus incumbent error rate: rolls back when its one-sided lower bound exceeds this. */
  maxErrorRateDelta: z.number().min(0).max(1).default(0.01),
  /** Candidate over incumbent p99: rolls back when the ratio's lower bound (order statistics of the histograms) exceeds this. */
  maxP99Ratio: z.number().positive().default(1.25),
  /** Rolls back when the disagreement's lower bound exceeds this. */
  maxDisagreement: z.number().min(0).max(1).default(0.05),
  /** Roll back when the comparison engine's verdict for the route is `fail`. */
  failOnVerdict: z.boolean().default(true),
  /** Fewest canary requests in the evaluation window before a guardrail may judge. */
  minRequests: z.number().int().positive().default(50),
  /** Confidence of the bounds a rollback needs (one-sided; the p99 ratio's two bounds hold it jointly). */
  confidence: z.number().min(0.5).max(0.99999).default(0.999),
  /** Rolled back on the live record path, within a second, whatever `interval` is. */
  hardFailure: z.object({
    enabled: z.boolean().default(true),
    /** Candidate requests failing (5xx or no answer) in the last few seconds, as a share… */
    errorRate: z.number().gt(0).max(1).default(0.5),
    /** …over at least this many candidate requests in those seconds. */
    minRequests: z.number().int().positive().default(20),
  }).strict().default({ enabled: true, errorRate: 0.5, minRequests: 20 }),
}).strict();
export type GuardrailsConfig = z.infer<typeof guardrailsSchema>;

export const canarySchema = z.object({
  upstream: z.string(),
  weight: z.number().min(0).max(100).default(0),
  stickyBy: stickyBy.default('none'),
  /** Salt of the sticky hash; defaults to the route name. */
  salt: z.string().optional(),
  override: z.object({
    header: z.string().default('x-shadowgate-target'),
    /** Addresses or CIDRs allowed to use the override; empty means everyone. */
    trustedSources: z.array(z.string().refine(isAddressOrCidr, { message: 'expected an IP address or CIDR (10.0.0.0/8, ::1)' })).default([]),
  }).strict().optional(),
  fallbackToIncumbent: z.boolean().default(false),
  rollout: z.object({
    steps: z.array(z.number().gt(0).max(100)).min(1),
    stepDuration: duration.default(5 * 60_000),
    minRequests: z.number().int().nonnegative().default(500),
    /** How often guardrails are evaluated. */
    interval: duration.default(10_000),
    /** Start the rollout automatically at load (otherwise an operator resumes it). */
    autoStart: z.boolean().default(true),
    /** Longest a step may wait for the evidence it needs (minRequests, every check judged); unset: forever. */
    maxStepDuration: duration.optional(),
    /** What a step that could not be judged within maxStepDuration does: hold (and alert), roll back, or advance only on a shadow verdict of pass. */
    onMaxStepDuration: z.enum(['hold', 'rollback', 'promote']).default('hold'),
  }).strict().optional(),
  guardrails: guardrailsSchema.optional(),
}).strict();
export type CanaryConfig = z.infer<typeof canarySchema>;

export const limitsSchema = z.object({
  maxRps: z.number().positive().optional(),
  burst: z.number().int().positive().optional(),
  maxConcurrency: z.number().int().positive().optional(),
}).strict();
export type LimitsConfig = z.infer<typeof limitsSchema>;

export const adminSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(9090),
  tokens: z.array(z.object({
    name: z.string().min(1),
    role: z.enum(['viewer', 'operator', 'admin']),
    /** May approve experiments (four eyes: never one it proposed); a capability beside the role, which must be operator or admin. */
    approver: z.boolean().default(false),
    sha256: z.string().regex(/^[0-9a-f]{64}$/i, { message: 'expected 64 hex digits (sha256 of the token)' }),
  }).strict()).default([]),
  /** Serve /metrics without a token. */
  openMetrics: z.boolean().default(true),
  /** Serve /healthz and /readyz without a token. */
  openHealth: z.boolean().default(true),
  stateFile: z.string().default('data/state.json'),
  auditFile: z.string().default('data/audit.jsonl'),
  /** Experiments and their lifecycle state (docs/experiments.md), kept across restarts. */
  experimentsFile: z.string().default('data/experiments.json'),
  /** Failed authentications allowed per source address per window. */
  authFailures: z.object({ max: z.number().int().positive().default(10), window: duration.default(60_000) }).strict()
    .default({ max: 10, window: 60_000 }),
}).strict();
export type AdminConfig = z.infer<typeof adminSchema>;
