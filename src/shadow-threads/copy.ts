// One copy's life inside a shadow thread: anonymize (the policy's leak guard fails closed) → the same
// anonymized copy to every target in a random order → diff the answers → the dataset line
// (leak-guarded) → one compact CopyResult. Bodies never go back to the live thread.
import { threadId } from 'node:worker_threads';
import type { Config, RouteConfig, ShadowConfig } from '../config/schema.js';
import { CompiledRules, SampleGate, diffExchange } from '../compare/index.js';
import { seededRandom } from '../compare/stats.js';
import type { CompiledPolicy } from '../anonymize/index.js';
import { toDatasetRecord } from '../dataset/record.js';
import type { AnonymizedRequest, RawRequest, ShadowExchange, ShadowResponse, ShadowRole } from '../exchange.js';
import { copyHeaders } from '../proxy/headers.js';
import { sendToAll, type ShadowDispatcher } from '../shadow/dispatch.js';
import type { DropReason } from '../shadow/shadow.js';
import type { CopyMessage, CopyResult, TargetCall } from './protocol.js';

/** What a thread holds for one route of one generation. */
export interface ThreadRoute {
  readonly name: string;
  readonly cfg: Readonly<ShadowConfig>;
  readonly roles: readonly (readonly [string, ShadowRole])[];
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
}

export function routeRoles(cfg: Readonly<ShadowConfig>): [string, ShadowRole][] {
  const roles: [string, ShadowRole][] = [[cfg.targets[0]!, 'incumbent']];
  if (cfg.targets[1] !== undefined) roles.push([cfg.targets[1], 'candidate']);
  if (cfg.baseline !== undefined) roles.push([cfg.baseline, 'baseline']);
  return roles;
}

export function threadRoute(r: RouteConfig & { shadow: ShadowConfig }, config: Config, policyOf: (name: string) => CompiledPolicy | undefined, gate: SampleGate | undefined): ThreadRoute {
  const cfg = r.shadow;
  const policy = cfg.policy === 'none' ? (cfg.allowRawData ? 'none' : undefined) : cfg.policy !== undefined ? policyOf(cfg.policy) : undefined;
  return {
    name: r.name,
    cfg,
    roles: routeRoles(cfg),
    policy,
    policyId: policy === 'none' ? 'none' : policy?.id ?? 'none',
    rules: cfg.compare.enabled ? new CompiledRules(cfg.compare) : undefined,
    gate: cfg.compare.enabled ? gate : undefined,
    record: config.record?.enabled === true && cfg.record,
    random: seededRandom(hashText(r.name) ^ threadId),
  };
}

function hashText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A policy's failure reason → the drop it is counted as (same name where one exists). */
export function dropReasonOf(reason: string): DropReason {
  switch (reason) {
    case 'leak': return 'leak';
    case 'unsupported': return 'no_policy';
    case 'unreadable_body': return 'unreadable_body';
    case 'body_too_large': return 'body_too_large';
    default: return 'anonymize_error';
  }
}

type Anonymized =
  | { ok: true; request: AnonymizedRequest; replacements: readonly (readonly [string, number])[] }
  | { ok: false; drop: DropReason; replacements: readonly (readonly [string, number])[] };

/** The one place a policy runs on a live request's copy. */
function anonymizeCopy(route: ThreadRoute, raw: RawRequest): Anonymized {
  const policy = route.policy;
  if (policy === undefined) return { ok: false, drop: 'no_policy', replacements: [] };
  if (policy === 'none') return { ok: true, request: { method: raw.method, url: raw.url, headers: copyHeaders(raw.headers), body: raw.body }, replacements: [] };
  const out = policy.anonymize(raw);
  const replacements = [...out.replacements];
  return out.ok ? { ok: true, request: out.request, replacements } : { ok: false, drop: dropReasonOf(out.reason), replacements };
}

/**
 * The request one target receives. Today every target gets the same anonymized copy with the shadow
 * marks; a per-target rewrite (after anonymization, before the send) belongs here.
 */
function targetRequest(route: ThreadRoute, anonymized: AnonymizedRequest): (target: string, role: ShadowRole) => AnonymizedRequest {
  const marked: AnonymizedRequest = {
    method: anonymized.method, url: anonymized.url, body: anonymized.body,
    headers: { ...anonymized.headers, 'x-shadowgate-shadow': '1', 'x-shadowgate-policy': route.policyId },
  };
  return () => marked;
}

function targetCall(r: ShadowResponse): TargetCall {
  return r.error === undefined
    ? { target: r.target, role: r.role, status: r.status, latencyMs: r.latencyMs }
    : { target: r.target, role: r.role, status: r.status, error: r.error, latencyMs: r.latencyMs };
}

export async function processCopy(route: ThreadRoute, dispatcher: ShadowDispatcher, msg: CopyMessage): Promise<CopyResult> {
  const raw: RawRequest = { method: msg.method, url: msg.url, headers: msg.headers, body: Buffer.from(msg.body.buffer, msg.body.byteOffset, msg.body.byteLength) };
  let anonymized: Anonymized;
  try {
    anonymized = anonymizeCopy(route, raw);
  } catch (err) {
    return { id: msg.id, threadId, drop: 'anonymize_error', replacements: [], calls: [], error: message(err) };
  }
  if (!anonymized.ok) return { id: msg.id, threadId, drop: anonymized.drop, replacements: anonymized.replacements, calls: [] };
  const request = anonymized.request;
  const ts = Date.now();
  const opts = { timeoutMs: route.cfg.timeout, maxResponseBytes: route.cfg.maxResponseBytes };
  const answers = await sendToAll(dispatcher, route.roles, targetRequest(route, request), opts, route.random);
  const calls = answers.map(targetCall);
  const base = { id: msg.id, threadId, replacements: anonymized.replacements, calls };
  try {
    const responses: Partial<Record<ShadowRole, ShadowResponse>> = {};
    for (const r of answers) responses[r.role] = r;
    const ex: ShadowExchange = { route: route.name, requestId: msg.requestId, policyId: route.policyId, ts, request, responses };
    const diff = route.rules ? diffExchange(ex, route.rules, { gate: route.gate, maxSampleBytes: route.cfg.compare.maxSampleBytes }) : undefined;
    if (!route.record) return diff ? { ...base, diff } : base;
    // Sandbox answers may echo what they received; anything that still looks personal is not stored.
    const policy = route.policy;
    if (policy !== undefined && policy !== 'none') {
      for (const r of answers) {
        if (r.body.length > 0 && policy.findLeaks(r.body.toString('utf8')).length > 0) return diff ? { ...base, diff, recordDrop: 'leak' } : { ...base, recordDrop: 'leak' };
      }
    }
    const line = `${JSON.stringify(toDatasetRecord(ex))}\n`;
    return diff ? { ...base, diff, line } : { ...base, line };
  } catch (err) {
    return { ...base, error: message(err) };
  }
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}
