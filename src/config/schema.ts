// The single source of configuration types: every room's options are declared here (by section files
// under schema/) and inferred with z.infer; cross-field rules (names that must exist) live at the end.
import { z } from 'zod';
import { duration, size } from './units.js';
import { anonymizeSchema } from './schema/anonymize.js';
import { compareSchema } from './schema/compare.js';
import { adminSchema, canarySchema, limitsSchema } from './schema/canary.js';
import { recordSchema } from './schema/record.js';
import { ledgerSchema } from './schema/ledger.js';
import { stateSchema } from './schema/state.js';
import { rewriteProblems, rewriteSchema, streamTimeout } from './schema/protocols.js';
import { tracingSchema } from './schema/tracing.js';
import { experimentSchema } from './schema/experiments.js';
import { qualityProblems, qualitySchema } from './schema/quality.js';
import { listenerTlsSchema, upstreamTlsSchema } from './schema/tls.js';
import { grpcProblems, grpcRouteSchema, routeProtocol } from './schema/grpc.js';

export const upstreamSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  timeout: duration.default(2000),
  connections: z.number().int().positive().default(64),
  /** Requests pipelined per connection (1 = none, the safe default). */
  pipelining: z.number().int().positive().default(1),
  /**
   * Requests allowed to wait for a connection once all `connections` are busy (Envoy's pending-request
   * limit); past it a live request gets 503 SG_ERR_UPSTREAM_BUSY at once. Unset: no limit but `timeout`.
   */
  maxQueue: z.number().int().nonnegative().optional(),
  /** For https:// upstreams: trusted CA, client certificate (mTLS), server name. */
  tls: upstreamTlsSchema.optional(),
  /** Offer HTTP/2 by ALPN (undici allowH2) to an https:// upstream; HTTP/1.1 when it declines. Default false. */
  http2: z.boolean().optional(),
}).strict().superRefine((u, ctx) => {
  if (u.tls !== undefined && !u.url.startsWith('https:')) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls needs an https:// url' });
});
export type UpstreamConfig = z.infer<typeof upstreamSchema>;

export const shadowSchema = z.object({
  /** The first target is the control (incumbent role), the second the candidate. */
  targets: z.array(z.string()).min(1).max(2),
  /** A second control call per copy, to learn which fields are noisy. */
  baseline: z.string().optional(),
  sampleRate: z.number().min(0).max(1).default(1),
  /** random, or hash the route's sticky key so a user is sampled consistently. */
  sampleBy: z.enum(['random', 'sticky']).default('random'),
  maxRps: z.number().positive({ error: 'expected a positive number' }).default(100),
  burst: z.number().int().positive().optional(),
  maxInFlight: z.number().int().positive().default(64),
  maxBodyBytes: size.default(256 * 1024),
  maxResponseBytes: size.default(1024 * 1024),
  /** Per-target timeout; defaults to each upstream's own. */
  timeout: duration.optional(),
  /** Name of an anonymize policy, or `none` together with allowRawData (synthetic traffic only). */
  policy: z.string().optional(),
  allowRawData: z.boolean().default(false),
  compare: compareSchema.default(() => compareSchema.parse({})),
  /** Write this route's shadow exchanges to the dataset (when `record:` is configured). */
  record: z.boolean().default(true),
  /** Per target: body paths and headers changed on its copy, after anonymization. */
  rewrite: rewriteSchema.optional(),
  streamTimeout,
}).strict();
export type ShadowConfig = z.infer<typeof shadowSchema>;

export const routeSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'expected 1-64 letters, digits, _ . -' }),
  match: z.object({
    pathPrefix: z.string().startsWith('/').default('/'),
    methods: z.array(z.string().toUpperCase()).optional(),
    host: z.string().optional(),
  }).strict().default({ pathPrefix: '/' }),
  primary: z.string(),
  canary: canarySchema.optional(),
  limits: limitsSchema.optional(),
  shadow: shadowSchema.optional(),
  /**
   * Methods this route's upstream treats as idempotent beside GET, HEAD and OPTIONS (e.g. POST to a model
   * that only computes): such a request is sent again, once, on a fresh connection when a reused keep-alive
   * connection is closed before any byte of the answer (docs/slow-clients.md). Others get 502.
   */
  idempotentMethods: z.array(z.string().toUpperCase()).default([]),
  /** grpc: calls are proxied over HTTP/2 with trailers, and shadow copies decoded with `grpc.protos`. */
  protocol: routeProtocol,
  grpc: grpcRouteSchema.optional(),
  /** Data quality and drift of the shadow copies' inputs (docs/quality.md). */
  quality: qualitySchema.optional(),
}).strict();
export type RouteConfig = z.infer<typeof routeSchema>;

/** Client-side timeouts, with NGINX's meaning (client_header_timeout, client_body_timeout, keepalive_timeout, send_timeout). */
const positiveDuration = duration.refine((ms) => ms > 0, { message: 'expected a duration above 0' });
export const clientTimeoutsSchema = z.object({
  /** The whole request head (request line and header fields) must arrive within this. */
  headers: positiveDuration.default(30_000),
  /** Longest gap between two reads of the request body. */
  body: positiveDuration.default(30_000),
  /** A keep-alive connection with no request in progress is closed after this. */
  idle: positiveDuration.default(60_000),
  /** Longest time a client may read nothing of its answer; then the connection is cut and the upstream call cancelled. */
  send: positiveDuration.default(60_000),
}).strict();

/** HTTP/2 session limits (server.http2): what one session may open and cancel. */
export const h2LimitsSchema = z.object({
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised to every client (NGINX's http2_max_concurrent_streams: 128). */
  maxConcurrentStreams: z.number().int().min(1).max(10_000).default(128),
  /**
   * Streams a session may cancel (RST_STREAM from the client, or reset by the proxy for a timeout) in a
   * burst, refilled at `resetsPerSecond`; past it the session gets GOAWAY ENHANCE_YOUR_CALM and is closed
   * (the Rapid Reset bound, CVE-2023-44487, as NGINX and Envoy do).
   */
  resetBurst: z.number().int().min(1).default(256),
  resetsPerSecond: z.number().min(0).default(32),
}).strict();
export type H2Limits = z.infer<typeof h2LimitsSchema>;

export const serverSchema = z.object({
  host: z.string().default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8080),
  maxBodyBytes: size.default(1024 * 1024),
  /** node:cluster workers; 1 runs in-process. */
  workers: z.number().int().positive().max(64).default(1),
  drainTimeout: duration.default(10_000),
  /** Event-loop delay above which shadow admission pauses. */
  maxEventLoopDelay: duration.default(100),
  /** Where paths that match no route go (unbuffered, http-proxy-3); none answers 404. */
  passthrough: z.string().optional(),
  /** Serve HTTPS with this certificate (re-read on every reload: SIGHUP, POST /admin/reload). */
  tls: listenerTlsSchema.optional(),
  /** Also accept HTTP/2: h2c with prior knowledge in clear, h2 by ALPN with tls; HTTP/1.1 stays. Default false. */
  http2: z.boolean().optional(),
  h2: h2LimitsSchema.default(() => h2LimitsSchema.parse({})),
  timeouts: clientTimeoutsSchema.default(() => clientTimeoutsSchema.parse({})),
  /**
   * Open client connections per process (at most 3/4 of the open-file limit); at the limit the oldest idle
   * connection is closed to admit a new one, and a new one is refused only when every connection is busy.
   */
  maxConnections: z.number().int().positive().default(10_000),
  /** Header fields per request; more get 431. */
  maxHeaders: z.number().int().positive().max(10_000).default(100),
  /** Threads that anonymize, send, compare and serialize shadow copies; default: cores − 1, at least 1. */
  shadowThreads: z.number().int().min(1).max(64).optional(),
  /**
   * Linux: run the shadow threads this much nicer than the live thread (0–19), so the live answer wins a
   * contended core. It also lowers them against every other process, so on a crowded machine shadow work
   * slows (and is shed) sooner.
   */
  shadowThreadNice: z.number().int().min(0).max(19).default(0),
  /**
   * After a burst, once the proxy is quiet for `quietSamples` seconds and its heap grew at least
   * max(`minGrowthMb`, `minGrowthRatio` × its low point) above that low point, run one full GC in each
   * thread so RSS comes back (docs/memory.md). Needs `node --expose-gc` (the image has it). `true`: the
   * defaults; `false`: off.
   */
  idleGc: z.union([
    z.boolean(),
    z.object({
      minGrowthMb: z.number().min(0).max(65_536).default(16),
      minGrowthRatio: z.number().min(0).max(100).default(0.5),
      quietSamples: z.number().int().min(1).max(3600).default(2),
    }).strict(),
  ]).default(true),
  /** Copies handed to one shadow thread and not yet started by it; past either bound a copy drops as overload. */
  shadowQueue: z.object({
    copies: z.number().int().positive().default(256),
    bytes: size.default(16 * 1024 * 1024),
  }).strict().default({ copies: 256, bytes: 16 * 1024 * 1024 }),
}).strict();

export const logSchema = z.object({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  access: z.boolean().default(true),
}).strict();

export const configSchema = z.object({
  server: serverSchema.default(() => serverSchema.parse({})),
  admin: adminSchema.default(() => adminSchema.parse({})),
  log: logSchema.default(() => logSchema.parse({})),
  upstreams: z.record(z.string(), upstreamSchema),
  routes: z.array(routeSchema).default([]),
  anonymize: anonymizeSchema.default(() => anonymizeSchema.parse({})),
  record: recordSchema.optional(),
  /** The signed, hash-chained lineage ledger (docs/lineage.md). */
  ledger: ledgerSchema.optional(),
  state: stateSchema.default(() => stateSchema.parse({})),
  tracing: tracingSchema.optional(),
  /** Experiments binding a route's candidate to a hypothesis and success criteria (docs/experiments.md). */
  experiments: z.array(experimentSchema).default([]),
}).strict();

type Problem = { path: (string | number)[]; message: string };
/** Label values of requests_total for traffic no route matched; no route may take them. */
export const RESERVED_ROUTE_NAMES: readonly string[] = ['passthrough', 'none'];

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Cross-references (names that must exist), checked on the raw tree so that they are reported even
 * when other fields fail their own validation: check-config names every mistake in one pass.
 */
export function crossCheck(raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const cfg = obj(raw);
  const upstreams = Object.keys(obj(cfg.upstreams));
  const policies = Object.keys(obj(obj(cfg.anonymize).policies));
  const upstream = (v: unknown, path: (string | number)[]) => {
    const name = str(v);
    if (name !== undefined && !upstreams.includes(name)) {
      problems.push({ path, message: `unknown upstream "${name}" (${upstreams.length > 0 ? `defined: ${upstreams.join(', ')}` : 'no upstream is defined'})` });
    }
  };
  upstream(obj(cfg.server).passthrough, ['server', 'passthrough']);
  const seen = new Set<string>();
  const routes = Array.isArray(cfg.routes) ? cfg.routes : [];
  routes.forEach((route: unknown, i: number) => {
    const r = obj(route);
    const name = str(r.name);
    if (name !== undefined && seen.has(name)) problems.push({ path: ['routes', i, 'name'], message: `duplicate route name "${name}"` });
    if (name !== undefined) seen.add(name);
    // The requests_total route label uses these for traffic no route matched: a route so named would merge with it.
    if (name !== undefined && RESERVED_ROUTE_NAMES.includes(name)) problems.push({ path: ['routes', i, 'name'], message: `route name "${name}" is reserved (it labels traffic no route matched)` });
    upstream(r.primary, ['routes', i, 'primary']);
    problems.push(...grpcProblems(r, ['routes', i]));
    upstream(obj(r.canary).upstream, ['routes', i, 'canary', 'upstream']);
    const shadow = obj(r.shadow);
    if (Array.isArray(shadow.targets)) shadow.targets.forEach((t: unknown, j: number) => upstream(t, ['routes', i, 'shadow', 'targets', j]));
    upstream(shadow.baseline, ['routes', i, 'shadow', 'baseline']);
    problems.push(...rewriteProblems(shadow, ['routes', i, 'shadow']));
    problems.push(...qualityProblems(r, ['routes', i]));
    const policy = str(shadow.policy);
    if (policy === 'none') {
      if (shadow.allowRawData !== true) {
        problems.push({ path: ['routes', i, 'shadow', 'policy'], message: 'policy none mirrors raw data: it needs allowRawData: true (synthetic traffic only)' });
      }
    } else if (policy !== undefined && !policies.includes(policy)) {
      problems.push({ path: ['routes', i, 'shadow', 'policy'], message: `unknown policy "${policy}" (${policies.length > 0 ? `defined: ${policies.join(', ')}` : 'no policy is defined under anonymize.policies'})` });
    }
  });
  if (obj(cfg.ledger).stream === 'redis' && obj(cfg.state).backend !== 'redis') {
    problems.push({ path: ['ledger', 'stream'], message: 'stream redis is the fleet\'s ledger: it needs state.backend redis' });
  }
  const ids = new Set<string>();
  (Array.isArray(cfg.experiments) ? cfg.experiments : []).forEach((e: unknown, i: number) => {
    const x = obj(e);
    const id = str(x.id);
    if (id !== undefined && ids.has(id)) problems.push({ path: ['experiments', i, 'id'], message: `duplicate experiment id "${id}"` });
    if (id !== undefined) ids.add(id);
    const route = str(x.route);
    if (route !== undefined && !seen.has(route)) problems.push({ path: ['experiments', i, 'route'], message: `unknown route "${route}"` });
    upstream(x.candidate, ['experiments', i, 'candidate']);
  });
  return problems;
}

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type ClientTimeouts = z.infer<typeof clientTimeoutsSchema>;
export type { AnonymizeConfig, PolicyConfig, TransformSpec } from './schema/anonymize.js';
export type { CompareConfig } from './schema/compare.js';
export type { SlicesConfig } from './schema/slices.js';
export type { AdminConfig, CanaryConfig, GuardrailsConfig, LimitsConfig } from './schema/canary.js';
export type { DataKeyConfig, EncryptionConfig, RecordConfig } from './schema/record.js';
export type { LedgerConfig } from './schema/ledger.js';
export type { CriterionConfig, CriterionMetric, ExperimentConfig } from './schema/experiments.js';
export type { RedisStateConfig, StateConfig } from './schema/state.js';
export type { RewriteConfig, TargetRewrite } from './schema/protocols.js';
export type { TracingConfig } from './schema/tracing.js';
export type { ListenerTlsConfig, UpstreamTlsConfig } from './schema/tls.js';
export type { GrpcRouteConfig } from './schema/grpc.js';
export type { QualityConfig } from './schema/quality.js';
