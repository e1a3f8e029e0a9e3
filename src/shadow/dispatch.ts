// Sends one anonymized copy to one sandbox target: its own undici Pool per upstream, its own timeout,
// a bounded response body. Never rejects: every failure becomes a ShadowResponse with `error` set.
import { Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/schema.js';
import type { AnonymizedRequest, ShadowFailure, ShadowResponse, ShadowRole } from '../exchange.js';

export interface SendOptions {
  timeoutMs?: number;
  maxResponseBytes: number;
  /** Added after the anonymized headers (x-shadowgate-shadow, x-shadowgate-policy). */
  headers?: Readonly<Record<string, string>>;
}

const EMPTY = Buffer.alloc(0);

class ResponseTooLarge extends Error {}

export function classifyFailure(err: unknown): ShadowFailure {
  if (err instanceof ResponseTooLarge) return 'too_large';
  const code = (err as { code?: string } | null)?.code ?? '';
  const name = (err as { name?: string } | null)?.name ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT'
    || name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_ABORTED') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') return 'reset';
  return 'error';
}

export class ShadowDispatcher {
  private readonly pools = new Map<string, Pool>();
  private readonly timeouts = new Map<string, number>();

  constructor(upstreams: Readonly<Record<string, UpstreamConfig>>) {
    for (const [name, u] of Object.entries(upstreams)) {
      // Shadow traffic gets its own pools: a hung sandbox can never take live connections.
      this.pools.set(name, new Pool(u.url, { connections: u.connections, pipelining: 1, keepAliveTimeout: 10_000 }));
      this.timeouts.set(name, u.timeout);
    }
  }

  async send(target: string, role: ShadowRole, req: AnonymizedRequest, opts: SendOptions): Promise<ShadowResponse> {
    const started = performance.now();
    const pool = this.pools.get(target);
    if (!pool) return failed(target, role, 'error', 0);
    // undici's headers and body timeouts bound the call; an AbortSignal per copy would cost a timer
    // and an exception object each (it showed in the profile).
    const timeoutMs = opts.timeoutMs ?? this.timeouts.get(target) ?? 2000;
    let res: Dispatcher.ResponseData | undefined;
    try {
      const headers: Record<string, string> = { ...req.headers, ...opts.headers };
      res = await pool.request({
        method: req.method as Dispatcher.HttpMethod,
        path: req.url,
        headers,
        body: req.body.length > 0 ? req.body : null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const declared = Number(res.headers['content-length']);
      if (declared > opts.maxResponseBytes) throw new ResponseTooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > opts.maxResponseBytes) throw new ResponseTooLarge();
        chunks.push(chunk as Buffer);
      }
      return {
        target, role,
        status: res.statusCode,
        headers: flattenHeaders(res.headers),
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
        latencyMs: performance.now() - started,
      };
    } catch (err) {
      // Release the socket instead of draining a huge or hung body.
      res?.body.destroy();
      return failed(target, role, classifyFailure(err), performance.now() - started);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
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
