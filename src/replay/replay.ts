// Offline evaluation: sends each recorded anonymized request again to its route's shadow targets (and
// baseline) in parallel, paced and bounded, and feeds the answers to the same comparison engine as the
// live proxy, so the report and verdict mean exactly what /admin/report means. A thin adapter over the
// copy pipeline (src/pipeline/): the same roles, per-target rewrite, gRPC codec and comparison rules as a
// live copy, so a replayed record reaches each target exactly as its live copy did.
import { copyHeaders } from '../http/headers.js';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, ShadowConfig } from '../config/schema.js';
import { RouteComparer, SampleGate, diffExchange, type RouteReport } from '../compare/index.js';
import { ShadowgateError } from '../errors.js';
import type { AnonymizedRequest, ShadowRole } from '../exchange.js';
import { seededRandom } from '../compare/stats.js';
import { ShadowDispatcher } from '../pipeline/dispatch.js';
import { PipelineRoutes, targetRoles, type PipelineRoute } from '../pipeline/route.js';
import { comparable, copyExchange, sendCopy } from '../pipeline/send.js';
import { readDataset, type ReadIssue, type ReadItem } from '../dataset/reader.js';
import { recordRequest } from '../dataset/record.js';
import { loadDataKeys } from '../dataset/crypt.js';
import { sliceKeysOf } from '../pipeline/send.js';
import { SliceBook, type SliceReport } from '../quality/slices.js';
import { ledgerVerifiers } from '../ledger/keys.js';

export interface ReplayProgress {
  /** Records replayed so far. */
  readonly sent: number;
  /** Dataset bytes read so far (compressed bytes for gzip) and in all. */
  readonly bytesRead: number;
  readonly totalBytes: number;
}

/** The calls replay makes; ShadowDispatcher in production, anything with its shape in tests. */
export interface ReplaySender {
  send: ShadowDispatcher['send'];
  close(): Promise<void>;
}

export interface ReplayOptions {
  readonly config: Config;
  /** Files (plain or gzip) or directories, read in the order given. */
  readonly datasets: readonly string[];
  /** Only this route's records; the others are skipped (counted as filtered). */
  readonly route?: string;
  /** Records per second across all workers; unlimited when absent. */
  readonly rate?: number;
  /** Records in flight at once (each sends to every target in parallel). */
  readonly concurrency?: number;
  /** Abort to stop early: no new record starts, those in flight finish, the report is partial. */
  readonly signal?: AbortSignal;
  readonly onIssue?: (issue: ReadIssue) => void;
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly onWarning?: (message: string) => void;
  readonly sender?: ReplaySender;
  /** The comparison clock; frozen at the replay's start by default (see below). */
  readonly now?: () => number;
  /** Seeds the per-record random order in which the targets are called (default 1). */
  readonly orderSeed?: number;
  /** Seeds each route's comparer (its sample reservoirs); default: the route's own seed, as live. */
  readonly compareSeed?: number;
}

export interface ReplayResult {
  /** One report per route that had at least one record replayed (or the --route one); `slices` with compare.slices. */
  readonly reports: (RouteReport & { slices?: SliceReport })[];
  /** Records replayed (sent to the targets and compared). */
  readonly sent: number;
  /** Shadow calls that got no answer (timeout, refused, reset, too large). */
  readonly failedCalls: number;
  readonly skipped: {
    /** Records of routes the configuration does not have, or that have no shadow targets. */
    readonly unknownRoute: number;
    /**
     * Records that are not anonymized (policy `raw`, or `none` for a route without allowRawData): never
     * sent, so a forgotten `shadowgate anonymize` step cannot leak raw values to a sandbox.
     */
    readonly notAnonymized: number;
    /** Records of other routes than --route. */
    readonly filtered: number;
    /** Lines the reader could not use (torn, malformed, future version, too long). */
    readonly unreadable: number;
    /** Records whose per-target rewrite cannot apply (dropped as `rewrite_error` live too): never sent. */
    readonly rewriteError: number;
  };
  readonly interrupted: boolean;
}

const DEFAULT_CONCURRENCY = 16;
const MAX_UNKNOWN_ROUTE_WARNINGS = 10;
/**
 * A policy id as the anonymizer writes it: `name@` + 12 hex digits of the policy's sha256 (exchange.ts);
 * DESIGN.md's `name@sha256:…` spelling and longer digests are accepted too.
 */
const ANONYMIZED_POLICY_ID = /^[^@\s]+@(sha256:)?[0-9a-f]{12,64}$/i;

/** Whether a record may be sent: anonymized by a policy, or raw synthetic traffic where the route allows it. */
export function mayReplay(policyId: string, shadow: Readonly<ShadowConfig>): boolean {
  if (ANONYMIZED_POLICY_ID.test(policyId)) return true;
  return policyId === 'none' && shadow.allowRawData;
}

function usage(message: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_USAGE', message, 400);
}

/** The targets a route's copy goes to, by role (derived once, in the pipeline). */
export const shadowRoles: (shadow: Readonly<ShadowConfig>) => [string, ShadowRole][] = targetRoles;

/** A recorded (or hand-converted) request without the headers the HTTP client sets itself. */
function sendable(req: AnonymizedRequest): AnonymizedRequest {
  return { ...req, headers: copyHeaders(req.headers) };
}

/** Spaces record starts `1000 / rate` ms apart across all workers, without bursts after a stall. */
class Pacer {
  private next = 0;
  constructor(private readonly intervalMs: number) {}

  async wait(signal: AbortSignal | undefined): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await sleep(at - now, undefined, { signal }).catch(() => undefined);
  }
}

interface RouteRun {
  readonly route: PipelineRoute;
  readonly shadow: Readonly<ShadowConfig>;
  readonly comparer: RouteComparer;
  /** compare.slices: the same segments as live (the keys read from the recorded anonymized request). */
  readonly slices: SliceBook | undefined;
  /** Samples chosen as a shadow thread chooses them (the diff is made here, then tallied). */
  readonly gate: SampleGate;
}

export async function replayDataset(opts: ReplayOptions): Promise<ReplayResult> {
  const { config } = opts;
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw usage(`concurrency must be a positive integer, got ${concurrency}`);
  if (opts.rate !== undefined && !(opts.rate > 0)) throw usage(`rate must be a positive number of records per second, got ${opts.rate}`);
  // One instant for every record and the report: a replay can take longer than the comparer's time
  // window, and every record of the dataset must count, as if all were seen at once.
  const frozen = Date.now();
  const now = opts.now ?? (() => frozen);

  const runs = new Map<string, RouteRun>();
  // gRPC routes send through their codec over HTTP/2, as live copies do (one session per upstream).
  const routes = new PipelineRoutes(config);
  const runFor = (name: string): RouteRun | undefined => {
    let run = runs.get(name);
    if (run) return run;
    const p = routes.get(name);
    if (p === undefined) return undefined;
    const slices = p.slices !== undefined && p.compare.slices !== undefined ? new SliceBook(p.compare.slices) : undefined;
    run = { route: p, shadow: p.cfg, comparer: new RouteComparer(name, p.compare, { hasBaseline: p.cfg.baseline !== undefined, seed: opts.compareSeed }), slices, gate: new SampleGate(p.compare.samplesPerField) };
    runs.set(name, run);
    return run;
  };
  if (opts.route !== undefined && !runFor(opts.route)) {
    const known = config.routes.filter((r) => r.shadow).map((r) => r.name);
    throw usage(`route "${opts.route}" is not a route with shadow targets in the configuration (known: ${known.join(', ') || 'none'})`);
  }

  let unreadable = 0;
  let bytesRead = 0;
  let totalBytes = 0;
  // Encrypted files decrypt with record.encryption's keys; manifests verify under the ledger's public key.
  const decryptKeys = config.record?.encryption ? loadDataKeys(config.record.encryption).byId : undefined;
  const manifestVerifiers = config.ledger ? ledgerVerifiers(config.ledger) : [];
  const items = readDataset(opts.datasets, {
    signal: opts.signal,
    decryptKeys,
    manifestVerifiers,
    onIssue: (issue) => {
      unreadable++;
      opts.onIssue?.(issue);
    },
    onProgress: (read, total) => {
      bytesRead = read;
      totalBytes = total;
    },
  });

  const sender = opts.sender ?? new ShadowDispatcher(config.upstreams);
  // Targets start in a random order per record (seeded: a replay is repeatable), never control first.
  const orderRandom = seededRandom(opts.orderSeed ?? 1);
  const pacer = opts.rate === undefined ? undefined : new Pacer(1000 / opts.rate);
  // Each of the `concurrency` workers may wait on the pacer with the signal at once (and remove its listener
  // when done): that many listeners is expected, not a leak (Node warns past 10).
  if (pacer !== undefined && opts.signal !== undefined) setMaxListeners(concurrency + 10, opts.signal);
  const unknownRoutes = new Set<string>();
  let unknownRoute = 0;
  let notAnonymized = 0;
  let filtered = 0;
  let sent = 0;
  let failedCalls = 0;
  let rewriteError = 0;
  let seq = 0;

  const replayOne = async (item: ReadItem): Promise<void> => {
    const rec = item.record;
    if (opts.route !== undefined && rec.route !== opts.route) {
      filtered++;
      return;
    }
    const run = runFor(rec.route);
    if (!run) {
      unknownRoute++;
      if (!unknownRoutes.has(rec.route) && unknownRoutes.size < MAX_UNKNOWN_ROUTE_WARNINGS) {
        unknownRoutes.add(rec.route);
        opts.onWarning?.(`${item.file}:${item.line}: route "${rec.route.slice(0, 64)}" has no shadow targets in this configuration; its records are skipped`);
      }
      return;
    }
    if (!mayReplay(rec.policy, run.shadow)) {
      if (notAnonymized++ === 0) {
        opts.onWarning?.(`${item.file}:${item.line}: record is not anonymized (policy "${rec.policy.slice(0, 40)}"); run shadowgate anonymize on the dataset first. Records like it are skipped, never sent`);
      }
      return;
    }
    await pacer?.wait(opts.signal);
    if (opts.signal?.aborted) return;
    const request = sendable(recordRequest(rec));
    const copy = await sendCopy(run.route, sender, request, { shadow: 'replay', policy: rec.policy }, orderRandom);
    if (!copy.ok) {
      // The live copy of such a request was dropped as rewrite_error: it never reached a target, nor does its replay.
      if (rewriteError++ === 0) opts.onWarning?.(`${item.file}:${item.line}: the route's shadow.rewrite cannot apply to this record (its live copy was dropped as rewrite_error); records like it are skipped`);
      return;
    }
    for (const r of copy.answers) if (r.error !== undefined) failedCalls++;
    const ex = copyExchange(rec.route, `replay-${++seq}`, rec.policy, rec.ts, request, copy.answers);
    // Streamed answers compare as their assembled text, as on the live shadow path.
    const diff = diffExchange(comparable(ex).exchange, run.comparer.rules, { gate: run.gate, maxSampleBytes: run.route.compare.maxSampleBytes });
    run.comparer.recordDiff(diff, now());
    const keys = sliceKeysOf(run.route, request);
    if (run.slices !== undefined && keys !== undefined) run.slices.record(keys, diff);
    sent++;
    opts.onProgress?.({ sent, bytesRead, totalBytes });
  };

  // Workers pull from one shared iterator (an async generator queues concurrent next() calls), so at
  // most `concurrency` records are held in memory and in flight, whatever the dataset's size.
  const worker = async (): Promise<void> => {
    while (!opts.signal?.aborted) {
      const next = await items.next();
      if (next.done) return;
      await replayOne(next.value);
    }
  };
  try {
    const outcomes = await Promise.allSettled(Array.from({ length: concurrency }, worker));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    await items.return(undefined);
    routes.close();
    await sender.close();
  }
  opts.onProgress?.({ sent, bytesRead, totalBytes });
  const at = now();
  return {
    reports: [...runs.values()].map((r) => (r.slices === undefined ? r.comparer.report(at) : { ...r.comparer.report(at), slices: r.slices.report() })),
    sent,
    failedCalls,
    skipped: { unknownRoute, notAnonymized, filtered, unreadable, rewriteError },
    interrupted: opts.signal?.aborted === true,
  };
}
