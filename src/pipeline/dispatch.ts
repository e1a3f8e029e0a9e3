// Sends one anonymized copy to one sandbox target: its own undici Pool per upstream, its own timeout,
// a bounded response body. Never rejects: every failure becomes a ShadowResponse with `error` set.
import { Pool, type Dispatcher } from '../http/undici.js';
import type { UpstreamConfig } from '../config/schema.js';
import type { AnonymizedRequest, ShadowFailure, ShadowResponse, ShadowRole } from '../exchange.js';
import { StreamTimeline, streamFormatOf } from '../compare/stream.js';
import { upstreamPoolOptions } from '../http/upstream.js';
import { classifyUpstreamFailure } from '../http/failure.js';

export interface SendOptions {
  timeoutMs?: number;
  maxResponseBytes: number;
  /** Added after the anonymized headers (x-shadowgate-shadow, x-shadowgate-policy). */
  headers?: Readonly<Record<string, string>>;
  /** A streamed answer (SSE, NDJSON) is cut after this long in all (the body timeout only bounds stalls). */
  streamTimeoutMs?: number;
}

const EMPTY = Buffer.alloc(0);

class ResponseTooLarge extends Error {}
class StreamDeadline extends Error {
  readonly code = 'UND_ERR_BODY_TIMEOUT';
}

const DEFAULT_STREAM_TIMEOUT_MS = 60_000;

/** A copy's failure kind: the one upstream classifier (http/failure.ts); a copy we cancelled is an error, not a timeout. */
export function classifyFailure(err: unknown): ShadowFailure {
  if (err instanceof ResponseTooLarge) return 'too_large';
  const kind = classifyUpstreamFailure(err);
  return kind === 'aborted' ? 'error' : kind;
}

export class ShadowDispatcher {
  private readonly pools = new Map<string, Pool>();
  private readonly timeouts = new Map<string, number>();

  /** `share`: this dispatcher's part of each upstream's connections (one per shadow thread). */
  constructor(upstreams: Readonly<Record<string, UpstreamConfig>>, opts: { share?: number } = {}) {
    const share = opts.share ?? 1;
    for (const [name, u] of Object.entries(upstreams)) {
      // Shadow traffic gets its own pools: a hung sandbox can never take live connections.
      const connections = Math.max(1, Math.ceil(u.connections * share));
      this.pools.set(name, new Pool(u.url, { connections, pipelining: 1, keepAliveTimeout: 10_000, ...upstreamPoolOptions(u) }));
      this.timeouts.set(name, u.timeout);
    }
  }

  /** One copy to one target: the body collected by a small handler (no stream per response). */
  send(target: string, role: ShadowRole, req: AnonymizedRequest, opts: SendOptions): Promise<ShadowResponse> {
    const pool = this.pools.get(target);
    if (!pool) return Promise.resolve(failed(target, role, 'error', 0));
    // undici's headers and body timeouts bound the call; an AbortSignal per copy would cost a timer
    // and an exception object each (it showed in the profile).
    const timeoutMs = opts.timeoutMs ?? this.timeouts.get(target) ?? 2000;
    return new Promise((resolve) => {
      const call = new ShadowCall(target, role, opts.maxResponseBytes, opts.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS, resolve);
      try {
        pool.dispatch({
          method: req.method as Dispatcher.HttpMethod,
          path: req.url,
          headers: opts.headers ? { ...req.headers, ...opts.headers } : req.headers,
          body: req.body.length > 0 ? req.body : null,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        }, call);
      } catch (err) {
        call.onResponseError(undefined, err as Error);
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
  }
}

export interface Sender {
  send(target: string, role: ShadowRole, req: AnonymizedRequest, opts: SendOptions): Promise<ShadowResponse>;
}

/**
 * Sends one copy to every target, starting the calls in a random order (Fisher-Yates with the caller's
 * seeded source): whoever goes first pays nothing for the others' writes, so a fixed order would make
 * the later target look slower. Each latency runs from its own send. Answers come back in `roles` order.
 * `requestFor` builds each target's request (the same anonymized copy for all of them today).
 */
export function sendToAll(sender: Sender, roles: readonly (readonly [string, ShadowRole])[], requestFor: (target: string, role: ShadowRole) => AnonymizedRequest, opts: SendOptions, random: () => number): Promise<ShadowResponse[]> {
  const order = roles.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const calls: Promise<ShadowResponse>[] = new Array(roles.length);
  for (const i of order) {
    const [target, role] = roles[i]!;
    calls[i] = sender.send(target, role, requestFor(target, role), opts);
  }
  return Promise.all(calls);
}

/** Collects one shadow answer up to its size bound, then settles exactly once. */
class ShadowCall implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: Record<string, string> = {};
  private settled = false;
  /** Set for streamed answers only: when each chunk arrived, and the stream's overall deadline. */
  private timeline: StreamTimeline | undefined;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: string,
    private readonly role: ShadowRole,
    private readonly maxBytes: number,
    private readonly streamTimeoutMs: number,
    private readonly resolve: (r: ShadowResponse) => void,
  ) {}

  /** Its presence tells undici this handler speaks the controller API (not the legacy onConnect one). */
  onRequestStart(): void {}

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = flattenHeaders(headers);
    if (Number(headers['content-length']) > this.maxBytes) {
      controller.abort(new ResponseTooLarge());
      return;
    }
    if (statusCode < 300 && streamFormatOf(this.headers['content-type']) !== undefined) {
      this.timeline = new StreamTimeline();
      this.deadline = setTimeout(() => controller.abort(new StreamDeadline()), this.streamTimeoutMs).unref();
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    this.timeline?.mark(chunk.length, performance.now() - this.started);
    // Release the socket instead of reading a huge body.
    if (this.size > this.maxBytes) controller.abort(new ResponseTooLarge());
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    const body = this.chunks.length === 0 ? EMPTY : this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    const latencyMs = performance.now() - this.started;
    const t = this.timeline;
    this.resolve(t === undefined
      ? { target: this.target, role: this.role, status: this.status, headers: this.headers, body, latencyMs }
      : { target: this.target, role: this.role, status: this.status, headers: this.headers, body, latencyMs, chunks: { ends: t.ends, times: t.times } });
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadline);
    this.resolve(failed(this.target, this.role, classifyFailure(err), performance.now() - this.started));
  }
}

function failed(target: string, role: ShadowRole, error: ShadowFailure, latencyMs: number): ShadowResponse {
  return { target, role, status: 0, headers: {}, body: EMPTY, latencyMs, error };
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
