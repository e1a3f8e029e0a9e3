// One anonymized copy through the pipeline, the same for a live copy (shadow threads) and a replayed one:
// the shadow marks, each target's rewrite and trace child → every target in a seeded random order through
// the route's sender (undici for HTTP, the gRPC codec over HTTP/2) → the exchange compared as the engine
// sees it (streamed answers assembled). Whatever differs between live and replay is an argument here.
import { assembleExchange } from '../compare/stream.js';
import type { AnonymizedRequest, ShadowExchange, ShadowResponse, ShadowRole } from '../exchange.js';
import { formatTraceparent, type TraceContext } from '../observe/trace.js';
import { sendToAll, type Sender } from './dispatch.js';
import type { PipelineRoute } from './route.js';
import { sliceKeys, sliceKeysOfDoc } from '../quality/slice-keys.js';

/** The headers every copy carries: `shadow` is `1` for a live copy, `replay` for a replayed one. */
export interface CopyMarks {
  readonly shadow: string;
  readonly policy: string;
}

/**
 * The request each target receives, by role: the anonymized copy with the shadow marks, then the target's
 * rewrite (shadow.rewrite), then its own child of the live trace context. null when a rewrite cannot apply:
 * the copy is then dropped for every target.
 */
export function targetRequests(route: PipelineRoute, anonymized: AnonymizedRequest, marks: CopyMarks, traces?: readonly TraceContext[]): Map<ShadowRole, AnonymizedRequest> | null {
  const marked: AnonymizedRequest = {
    method: anonymized.method, url: anonymized.url, body: anonymized.body,
    headers: { ...anonymized.headers, 'x-shadowgate-shadow': marks.shadow, 'x-shadowgate-policy': marks.policy },
  };
  const out = new Map<ShadowRole, AnonymizedRequest>();
  for (let i = 0; i < route.roles.length; i++) {
    const [target, role] = route.roles[i]!;
    let req = marked;
    const rw = route.rewrites.get(target);
    if (rw !== undefined) {
      const r = rw.apply(marked);
      if (!r.ok) return null;
      req = r.request;
    }
    if (traces !== undefined) req = { ...req, headers: { ...req.headers, traceparent: formatTraceparent(traces[i]!) } };
    out.set(role, req);
  }
  return out;
}

export type SentCopy = { readonly ok: true; readonly answers: ShadowResponse[] } | { readonly ok: false; readonly drop: 'rewrite_error' };

/**
 * Sends one anonymized copy to every target of the route. `http` carries HTTP routes; a gRPC route always
 * goes through its codec. Answers come back in `route.roles` order.
 */
export async function sendCopy(route: PipelineRoute, http: Sender, anonymized: AnonymizedRequest, marks: CopyMarks, random: () => number, traces?: readonly TraceContext[]): Promise<SentCopy> {
  const requests = targetRequests(route, anonymized, marks, traces);
  if (requests === null) return { ok: false, drop: 'rewrite_error' };
  const opts = { timeoutMs: route.cfg.timeout, maxResponseBytes: route.cfg.maxResponseBytes, streamTimeoutMs: route.cfg.streamTimeout };
  const answers = await sendToAll(route.grpc?.dispatcher ?? http, route.roles, (_t, role) => requests.get(role)!, opts, random);
  return { ok: true, answers };
}

/** The exchange of one copy: the anonymized request (as recorded) and the answers by role. */
export function copyExchange(route: string, requestId: string, policyId: string, ts: number, request: AnonymizedRequest, answers: readonly ShadowResponse[]): ShadowExchange {
  const responses: Partial<Record<ShadowRole, ShadowResponse>> = {};
  for (const r of answers) responses[r.role] = r;
  return { route, requestId, policyId, ts, request, responses };
}

/** What the comparison engine sees of an exchange: streamed answers as their assembled text (with their timing). */
export function comparable(ex: ShadowExchange): { exchange: ShadowExchange; streamed: ReturnType<typeof assembleExchange> } {
  const streamed = assembleExchange(ex);
  return { exchange: streamed?.exchange ?? ex, streamed };
}

/**
 * The copy's slice values (compare.slices, one per path), read from the anonymized request as recorded —
 * before marks and rewrite — so a replayed record falls in the segment its live copy fell in.
 */
export function sliceKeysOf(route: PipelineRoute, request: AnonymizedRequest, doc?: { readonly json: unknown }): string[] | undefined {
  if (route.slices === undefined) return undefined;
  // `doc`: the same body parsed once already for the copy (quality/slice-keys.ts jsonDoc).
  return doc !== undefined ? sliceKeysOfDoc(route.slices, doc.json) : sliceKeys(route.slices, request.body);
}
