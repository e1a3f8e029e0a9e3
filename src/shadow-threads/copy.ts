// One copy's life inside a shadow thread: anonymize (the policy's leak guard fails closed) → the copy
// pipeline (src/pipeline/: marks, per-target rewrite, every target in a random order, the same code replay
// uses) → diff the answers → the dataset line (leak-guarded) → one compact CopyResult. Bodies never go
// back to the live thread.
import { threadId } from 'node:worker_threads';
import type { Config, RouteConfig, ShadowConfig } from '../config/schema.js';
import { diffExchange } from '../compare/exchange-diff.js';
import { CompiledRules } from '../compare/rules.js';
import { ParsedAnswers } from '../compare/diff.js';
import type { SampleGate } from '../compare/samples.js';
import { seededRandom } from '../compare/stats.js';
import type { CompiledPolicy } from '../anonymize/index.js';
import type { AnonymizedRequest, RawRequest, ShadowResponse, ShadowRole } from '../exchange.js';
import { copyHeaders } from '../http/headers.js';
import type { DropReason } from '../shadow/shadow.js';
import type { CopyMessage, CopyResult, TargetCall } from './protocol.js';
import { observeStreams } from '../compare/stream-observe.js';
import { childContext, parseTraceparent, type TraceContext } from '../observe/trace.js';
import { decodeGrpcRequest } from '../pipeline/grpc.js';
import type { Sender } from '../pipeline/dispatch.js';
import { toDatasetRecord } from '../dataset/record.js';
import { pipelineRoute, type GrpcCodec, type PipelineRoute } from '../pipeline/route.js';
import { comparable, copyExchange, sendCopy, sliceKeysOf } from '../pipeline/send.js';
import { seedOf } from '../kernel/hash.js';
import { observeCopy, threadQuality, type ThreadQuality } from './quality.js';
import { jsonDoc } from '../quality/slice-keys.js';
import { featureModes } from '../quality/features.js';

/** What a thread holds for one route of one generation: the pipeline's route and the live side's own parts. */
export interface ThreadRoute extends PipelineRoute {
  /** The compiled policy; `none` copies raw (allowRawData only); undefined fails closed. */
  readonly policy: CompiledPolicy | 'none' | undefined;
  readonly policyId: string;
  /** The comparison rules, when the route compares. */
  readonly rules: CompiledRules | undefined;
  readonly gate: SampleGate | undefined;
  /** Whether this route's exchanges go to the dataset. */
  readonly record: boolean;
  /** Seeded per thread and route: the order targets are called in. */
  readonly random: () => number;
  /** The data-quality features read on each copy (routes[].quality), or undefined. */
  readonly quality: ThreadQuality | undefined;
}

export function threadRoute(r: RouteConfig & { shadow: ShadowConfig }, config: Config, policyOf: (name: string) => CompiledPolicy | undefined, gate: SampleGate | undefined, grpc?: GrpcCodec): ThreadRoute {
  const cfg = r.shadow;
  const policy = cfg.policy === 'none' ? (cfg.allowRawData ? 'none' : undefined) : cfg.policy !== undefined ? policyOf(cfg.policy) : undefined;
  const route = pipelineRoute(r, grpc);
  return {
    ...route,
    policy,
    policyId: policy === 'none' ? 'none' : policy?.id ?? 'none',
    // grpc.preset oip brings its comparison rules (the live thread's comparer applies the same).
    rules: cfg.compare.enabled ? new CompiledRules(route.compare) : undefined,
    gate: cfg.compare.enabled ? gate : undefined,
    record: config.record?.enabled === true && cfg.record,
    random: seededRandom(seedOf(r.name) ^ threadId),
    quality: threadQuality(r),
  };
}


/** A policy's failure reason → the drop it is counted as (same name where one exists). */
export function dropReasonOf(reason: string): DropReason {
  switch (reason) {
    case 'leak': return 'leak';
    case 'unsupported': return 'no_policy';
    // Deny by default (anonymize/codecs): a body that cannot be read whole is dropped under its own name.
    case 'unreadable_body': case 'body_too_large': case 'unsupported_body': case 'malformed_body':
    case 'scan_limit': case 'policy_drops_body': return reason;
    default: return 'anonymize_error';
  }
}

type Anonymized =
  | { ok: true; request: AnonymizedRequest; replacements: readonly (readonly [string, number])[]; source: RawRequest }
  | { ok: false; drop: DropReason; replacements: readonly (readonly [string, number])[] };

/** The one place a policy runs on a live request's copy. */
function anonymizeCopy(route: ThreadRoute, wire: RawRequest): Anonymized {
  const policy = route.policy;
  if (policy === undefined) return { ok: false, drop: 'no_policy', replacements: [] };
  let raw = wire;
  if (route.grpc !== undefined) {
    // The policy sees the message as JSON: its field rules address the decoded fields.
    const decoded = decodeGrpcRequest(wire, route.grpc.methods, route.grpc.maxMessages);
    if (!decoded.ok) return { ok: false, drop: decoded.reason === 'unsupported' ? 'no_policy' : 'anonymize_error', replacements: [] };
    raw = decoded.request;
  }
  if (policy === 'none') return { ok: true, request: { method: raw.method, url: raw.url, headers: copyHeaders(raw.headers), body: raw.body }, replacements: [], source: raw };
  // A compressed body is bounded once decoded by the same limit as the body the copy was admitted with.
  const out = policy.anonymize(raw, { maxDecodedBytes: route.cfg.maxBodyBytes });
  const replacements = [...out.replacements];
  return out.ok ? { ok: true, request: out.request, replacements, source: raw } : { ok: false, drop: dropReasonOf(out.reason), replacements };
}

function targetCall(r: ShadowResponse, trace: TraceContext | undefined): TargetCall {
  const call: TargetCall = r.error === undefined
    ? { target: r.target, role: r.role, status: r.status, latencyMs: r.latencyMs }
    : { target: r.target, role: r.role, status: r.status, error: r.error, latencyMs: r.latencyMs };
  return trace === undefined ? call : { ...call, spanId: trace.spanId };
}

export async function processCopy(route: ThreadRoute, dispatcher: Sender, msg: CopyMessage): Promise<CopyResult> {
  const raw: RawRequest = { method: msg.method, url: msg.url, headers: msg.headers, body: Buffer.from(msg.body.buffer, msg.body.byteOffset, msg.body.byteLength) };
  let anonymized: Anonymized;
  try {
    anonymized = anonymizeCopy(route, raw);
  } catch (err) {
    return { id: msg.id, threadId, drop: 'anonymize_error', replacements: [], calls: [], error: message(err) };
  }
  if (!anonymized.ok) return { id: msg.id, threadId, drop: anonymized.drop, replacements: anonymized.replacements, calls: [] };
  const request = anonymized.request;
  // Each copy is a child of the live call in its trace: the same trace id, its own span id per target.
  const live = msg.traceparent !== undefined ? parseTraceparent(msg.traceparent) : parseTraceparent(msg.headers.traceparent);
  const traces = live === undefined ? undefined : route.roles.map(() => childContext(live));
  const ts = Date.now();
  const sent = await sendCopy(route, dispatcher, request, { shadow: '1', policy: route.policyId }, route.random, traces);
  if (!sent.ok) return { id: msg.id, threadId, drop: sent.drop, replacements: anonymized.replacements, calls: [] };
  const answers = sent.answers;
  const traceOf = (role: ShadowRole) => traces?.[route.roles.findIndex(([, r]) => r === role)];
  const calls = answers.map((a) => targetCall(a, traceOf(a.role)));
  // Each answer is parsed at most once, for the quality score, the diff, its labels and the dataset's guard
  // together; the anonymized body once for the quality features and the slice keys (when it has no coding).
  const parsed = new ParsedAnswers();
  const doc = (route.quality !== undefined || route.slices !== undefined) && request.headers['content-encoding'] === undefined ? { json: jsonDoc(request.body) } : undefined;
  const quality = route.quality && observeCopy(route.quality, anonymized.source, request, route.policy === 'none', answers, { ...(doc ? { request: doc } : {}), answers: parsed });
  const base = { id: msg.id, threadId, replacements: anonymized.replacements, calls, ...(live ? { trace: live } : {}), ...(quality ? { quality } : {}) };
  try {
    const ex = copyExchange(route.name, msg.requestId, route.policyId, ts, request, answers);
    // Streamed answers are compared as their assembled text; their token timing travels back beside the diff.
    const { exchange, streamed } = comparable(ex);
    const streams = streamed === undefined ? undefined : observeStreams(streamed.incumbent, streamed.candidate);
    const diff = route.rules ? diffExchange(exchange, route.rules, { gate: route.gate, maxSampleBytes: route.cfg.compare.maxSampleBytes, parsed }) : undefined;
    const slices = diff === undefined ? undefined : sliceKeysOf(route, request, doc);
    const withSlices = slices === undefined ? base : { ...base, slices };
    const withStreams = streams === undefined ? withSlices : { ...withSlices, streams };
    if (!route.record) return diff ? { ...withStreams, diff } : withStreams;
    // Sandbox answers may echo what they received; anything that still looks personal is not stored.
    const policy = route.policy;
    if (policy !== undefined && policy !== 'none') {
      for (let i = 0; i < answers.length; i++) {
        const r = answers[i]!;
        // An answer byte-identical to one already guarded gets the same verdict (the guard is deterministic).
        if (r.body.length === 0 || answers.slice(0, i).some((a) => a.body.equals(r.body))) continue;
        if (policy.findLeaks(r.body.toString('utf8'), parsed.peek(r)).length > 0) return diff ? { ...withStreams, diff, recordDrop: 'leak' } : { ...withStreams, recordDrop: 'leak' };
      }
    }
    const line = `${JSON.stringify(toDatasetRecord(ex, quality && route.quality && featureModes(route.quality.features, quality.features)))}\n`;
    return diff ? { ...withStreams, diff, line } : { ...withStreams, line };
  } catch (err) {
    return { ...base, error: message(err) };
  }
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}
