// Config schema of tracing (`tracing:`): W3C trace context is always propagated; spans are exported over
// OTLP/HTTP (JSON) only when `tracing.otlp` is set. Owned by src/observe/trace.ts.
import { z } from 'zod';
import { duration } from '../units.js';

export const tracingSchema = z.object({
  serviceName: z.string().min(1).max(128).default('shadowgate'),
  otlp: z.object({
    /** The collector's base URL; spans go to `${endpoint}/v1/traces`. */
    endpoint: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
    /** Extra request headers, e.g. an API key for a hosted collector. */
    headers: z.record(z.string(), z.string()).default({}),
    timeout: duration.default(2000),
    /** Spans waiting for export at most; past it new spans are dropped and counted. */
    maxQueue: z.number().int().positive().max(1_000_000).default(4096),
    /** Spans per export request at most. */
    batchSize: z.number().int().positive().max(10_000).default(512),
    /** How often a partial batch is sent. */
    interval: duration.default(1000),
  }).strict().optional(),
}).strict();
export type TracingConfig = z.infer<typeof tracingSchema>;
