// W3C trace context (traceparent) and the optional OTLP/HTTP export of spans. The live call keeps the
// client's trace; each shadow copy carries a child context of the live call (same trace, its own span id).
// Without `tracing.otlp` nothing is recorded and the live path does no tracing work at all.
import { randomFillSync } from 'node:crypto';
import type { TracingConfig } from '../config/schema/tracing.js';

export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  /** The two-hex-digit flags field; bit 0 is `sampled`. */
  readonly flags: string;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a traceparent header (W3C Trace Context level 1). Version 00 must be exactly 55 characters; a
 * later version is read by its first four fields, as the spec asks; ff and all-zero ids are invalid.
 */
export function parseTraceparent(header: string | string[] | undefined): TraceContext | undefined {
  if (typeof header !== 'string' || header.length < 55) return undefined;
  const h = header.trim().toLowerCase();
  const version = h.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' ? h.length !== 55 : h.length > 55 && h[55] !== '-') return undefined;
  if (h[2] !== '-' || h[35] !== '-' || h[52] !== '-') return undefined;
  const traceId = h.slice(3, 35);
  const spanId = h.slice(36, 52);
  const flags = h.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags) || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags };
}

export function formatTraceparent(c: TraceContext): string {
  return `00-${c.traceId}-${c.spanId}-${c.flags}`;
}

export function isSampled(c: TraceContext): boolean {
  return (parseInt(c.flags, 16) & 1) === 1;
}

/** Random ids come from a pooled buffer: one crypto call per 512 ids, not one per id. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const s = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return s;
}

export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN) id = randomHex(8);
  return id;
}

export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE) id = randomHex(16);
  return id;
}

/** A child of `parent`: the same trace and flags, a new span id. */
export function childContext(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: newSpanId(), flags: parent.flags };
}

/** Epoch nanoseconds as a decimal string (OTLP/JSON's fixed64 encoding), from a performance.now() reading. */
function epochNanos(perfMs: number): string {
  const ms = performance.timeOrigin + perfMs;
  const whole = Math.floor(ms);
  const nanos = Math.round((ms - whole) * 1e6);
  return `${BigInt(whole) * 1_000_000n + BigInt(nanos)}`;
}

type AttrValue = string | number | boolean;

export interface SpanRecord {
  readonly name: string;
  /** 2 server (the live request), 3 client (a call to an upstream or a shadow target). */
  readonly kind: 2 | 3;
  readonly context: TraceContext;
  readonly parentSpanId: string | undefined;
  /** performance.now() readings. */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, AttrValue>>;
  readonly error: boolean;
  /** Spans this one is linked to (a shadow copy links to the live call). */
  readonly links?: readonly TraceContext[];
}

function otlpAttributes(attrs: Readonly<Record<string, AttrValue>>): unknown[] {
  return Object.entries(attrs).map(([key, v]) => ({
    key,
    value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
  }));
}

/** One OTLP/HTTP JSON export request body (ids hex-encoded, as OTLP/JSON specifies). */
export function otlpBody(serviceName: string, spans: readonly SpanRecord[]): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: otlpAttributes({ 'service.name': serviceName }) },
      scopeSpans: [{
        scope: { name: 'shadowgate' },
        spans: spans.map((s) => ({
          traceId: s.context.traceId,
          spanId: s.context.spanId,
          ...(s.parentSpanId !== undefined ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: epochNanos(s.startMs),
          endTimeUnixNano: epochNanos(s.endMs),
          attributes: otlpAttributes(s.attributes),
          ...(s.links ? { links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId })) } : {}),
          status: { code: s.error ? 2 : 1 },
        })),
      }],
    }],
  });
}

export interface SpanCounter {
  inc(labels: { outcome: 'exported' | 'dropped' | 'failed' }, n?: number): void;
}

/**
 * Batches spans and posts them to `${endpoint}/v1/traces`: a bounded queue (full means new spans are
 * dropped and counted), one request in flight at a time with its own timeout, a timer only while spans wait.
 */
export class OtlpExporter {
  private queue: SpanRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private readonly url: string;
  private closed = false;

  constructor(private readonly cfg: NonNullable<TracingConfig['otlp']>, private readonly serviceName: string, private readonly counter: SpanCounter) {
    this.url = `${cfg.endpoint.replace(/\/+$/, '')}/v1/traces`;
  }

  add(span: SpanRecord): void {
    if (this.closed || this.queue.length >= this.cfg.maxQueue) {
      this.counter.inc({ outcome: 'dropped' });
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.cfg.batchSize) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.cfg.interval).unref();
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending !== undefined || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.cfg.batchSize);
    this.sending = this.post(batch).finally(() => {
      this.sending = undefined;
      if (this.queue.length >= this.cfg.batchSize) this.kick();
      else if (this.queue.length > 0) this.timer ??= setTimeout(() => this.kick(), this.cfg.interval).unref();
    });
  }

  private async post(batch: SpanRecord[]): Promise<void> {
    try {
      // undici's index (its request() with the global dispatcher) loads with the first batch, not at start:
      // most proxies trace nothing, and the live path does not need it (http/undici.ts, docs/memory.md).
      const { request } = await import('undici');
      const res = await request(this.url, {
        method: 'POST',
        headers: { ...this.cfg.headers, 'content-type': 'application/json' },
        body: otlpBody(this.serviceName, batch),
        headersTimeout: this.cfg.timeout,
        bodyTimeout: this.cfg.timeout,
        signal: AbortSignal.timeout(this.cfg.timeout),
      });
      await res.body.dump();
      this.counter.inc({ outcome: res.statusCode >= 200 && res.statusCode < 300 ? 'exported' : 'failed' }, batch.length);
    } catch {
      this.counter.inc({ outcome: 'failed' }, batch.length);
    }
  }

  /** Sends what is queued (bounded by the request timeout each), then stops. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.sending !== undefined) {
      if (this.sending === undefined) this.kick();
      await this.sending;
    }
    clearTimeout(this.timer);
  }
}

/** A live request's span: the context the upstream sees, and the client's span it continues. */
export interface LiveSpan {
  readonly context: TraceContext;
  readonly parentSpanId: string | undefined;
  readonly startMs: number;
}

/** Records spans for export; exists only when `tracing.otlp` is configured. */
export class Tracer {
  private readonly exporter: OtlpExporter;

  constructor(readonly cfg: Readonly<TracingConfig>, counter: SpanCounter) {
    this.exporter = new OtlpExporter(cfg.otlp!, cfg.serviceName, counter);
  }

  /** The proxy's span for a live request: a child of the client's context, or the root of a new trace. */
  startLive(traceparent: string | string[] | undefined, startMs: number): LiveSpan {
    const parent = parseTraceparent(traceparent);
    return parent
      ? { context: childContext(parent), parentSpanId: parent.spanId, startMs }
      : { context: { traceId: newTraceId(), spanId: newSpanId(), flags: '01' }, parentSpanId: undefined, startMs };
  }

  endLive(span: LiveSpan, attrs: { route: string; upstream: string; method: string; status: number }, endMs: number): void {
    if (!isSampled(span.context)) return;
    this.exporter.add({
      name: `${attrs.method} ${attrs.route}`,
      kind: 2,
      context: span.context,
      parentSpanId: span.parentSpanId,
      startMs: span.startMs,
      endMs,
      attributes: { 'http.request.method': attrs.method, 'http.response.status_code': attrs.status, 'shadowgate.route': attrs.route, 'shadowgate.upstream': attrs.upstream, 'shadowgate.role': 'live' },
      error: attrs.status === 0 || attrs.status >= 500,
    });
  }

  /** A shadow copy's span: a child of the live span and linked to it. */
  shadowSpan(live: TraceContext, copy: TraceContext, attrs: { route: string; target: string; role: string; status: number; outcome: string }, startMs: number, endMs: number): void {
    if (!isSampled(copy)) return;
    this.exporter.add({
      name: `shadow ${attrs.route} ${attrs.role}`,
      kind: 3,
      context: copy,
      parentSpanId: live.spanId,
      startMs,
      endMs,
      attributes: { 'shadowgate.route': attrs.route, 'shadowgate.target': attrs.target, 'shadowgate.role': attrs.role, 'http.response.status_code': attrs.status, 'shadowgate.outcome': attrs.outcome },
      error: attrs.status === 0 || attrs.status >= 500,
      links: [live],
    });
  }

  close(): Promise<void> {
    return this.exporter.close();
  }
}

/** The tracer a configuration asks for: none (zero cost) without `tracing.otlp`. */
export function createTracer(cfg: Readonly<TracingConfig> | undefined, counter: SpanCounter): Tracer | undefined {
  return cfg?.otlp === undefined ? undefined : new Tracer(cfg, counter);
}
