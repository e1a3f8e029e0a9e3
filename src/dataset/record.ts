// The dataset record (format version 1): one anonymized shadow exchange per JSON line, version field
// first. Bodies are UTF-8 strings, or base64 with `bodyEncoding: "base64"` when they are not valid UTF-8.
import type { AnonymizedRequest, ShadowExchange, ShadowFailure, ShadowResponse, ShadowRole } from '../exchange.js';
import { SHADOW_ROLES } from '../exchange.js';

export const DATASET_VERSION = 1;

export type BodyEncoding = 'base64';

export interface DatasetRequest {
  readonly method: string;
  /** Path and query string, e.g. `/v1/predict?x=1`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly bodyEncoding?: BodyEncoding;
}

export interface DatasetResponse {
  readonly status: number;
  readonly latencyMs: number;
  readonly body: string;
  readonly bodyEncoding?: BodyEncoding;
  readonly error?: ShadowFailure;
}

export interface DatasetRecord {
  readonly v: 1;
  /** Epoch milliseconds when the copy was dispatched. */
  readonly ts: number;
  readonly route: string;
  readonly policy: string;
  readonly request: DatasetRequest;
  readonly responses: Readonly<Partial<Record<ShadowRole, DatasetResponse>>>;
  /**
   * routes[].quality: for each configured feature path, whether the policy kept the value the body holds
   * or replaced it — what the live quality extractor saw, so a dataset can be a quality reference
   * (docs/quality.md). Absent when the route had no `quality:` (or the body was not JSON).
   */
  readonly features?: Readonly<Record<string, FeatureMode>>;
}

/** A feature's value as the policy left it: kept (profiled by value) or replaced (by shape only). */
export type FeatureMode = 'kept' | 'replaced';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A body as text when it is valid UTF-8 (readable, diffable), otherwise base64. */
export function encodeBody(body: Buffer): { body: string; bodyEncoding?: BodyEncoding } {
  try {
    return { body: utf8.decode(body) };
  } catch {
    return { body: body.toString('base64'), bodyEncoding: 'base64' };
  }
}

export function decodeBody(body: string, encoding: BodyEncoding | undefined): Buffer {
  return encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function datasetResponse(r: ShadowResponse): DatasetResponse {
  // Key order is part of the format (status, latency, body): readers and diffs of files stay stable.
  const latencyMs = Math.round(r.latencyMs * 1000) / 1000;
  return r.error === undefined
    ? { status: r.status, latencyMs, ...encodeBody(r.body) }
    : { status: r.status, latencyMs, ...encodeBody(r.body), error: r.error };
}

/** Builds the record of one exchange (with its quality features' modes). The caller guarantees the exchange passed the leak guard. */
export function toDatasetRecord(ex: ShadowExchange, features?: Readonly<Record<string, FeatureMode>>): DatasetRecord {
  const responses: Partial<Record<ShadowRole, DatasetResponse>> = {};
  for (const role of SHADOW_ROLES) {
    const r = ex.responses[role];
    if (r) responses[role] = datasetResponse(r);
  }
  return {
    v: DATASET_VERSION,
    ts: ex.ts,
    route: ex.route,
    policy: ex.policyId,
    request: { method: ex.request.method, path: ex.request.url, headers: { ...ex.request.headers }, ...encodeBody(ex.request.body) },
    responses,
    ...(features !== undefined ? { features } : {}),
  };
}

/** The anonymized request a record carries, ready to send again. */
export function recordRequest(rec: DatasetRecord): AnonymizedRequest {
  return {
    method: rec.request.method,
    url: rec.request.path,
    headers: rec.request.headers,
    body: decodeBody(rec.request.body, rec.request.bodyEncoding),
  };
}

/** The exchange a record describes, with the recorded answers (e.g. to compare them offline as they were). */
export function recordToExchange(rec: DatasetRecord, requestId: string, targets: Readonly<Partial<Record<ShadowRole, string>>> = {}): ShadowExchange {
  const responses: Partial<Record<ShadowRole, ShadowResponse>> = {};
  for (const role of SHADOW_ROLES) {
    const r = rec.responses[role];
    if (!r) continue;
    const base = { target: targets[role] ?? role, role, status: r.status, headers: {}, body: decodeBody(r.body, r.bodyEncoding), latencyMs: r.latencyMs };
    responses[role] = r.error === undefined ? base : { ...base, error: r.error };
  }
  return { route: rec.route, requestId, policyId: rec.policy, ts: rec.ts, request: recordRequest(rec), responses };
}

export type RecordProblem = { kind: 'future-version'; version: number } | { kind: 'malformed'; reason: string };

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStrMap = (v: unknown): boolean => isObj(v) && Object.values(v).every((x) => typeof x === 'string');
const isEncoding = (v: unknown): boolean => v === undefined || v === 'base64';

function responseProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'is not an object';
  if (typeof v.status !== 'number') return 'has no numeric status';
  if (typeof v.latencyMs !== 'number') return 'has no numeric latencyMs';
  if (typeof v.body !== 'string' || !isEncoding(v.bodyEncoding)) return 'has no string body (or an unknown bodyEncoding)';
  return undefined;
}

/**
 * Checks one parsed line against format version 1. Hand-written rather than zod: the reader runs it on
 * every line of large files and needs a one-phrase reason, not an issue list.
 */
export function checkRecord(value: unknown): { record: DatasetRecord } | { problem: RecordProblem } {
  const malformed = (reason: string) => ({ problem: { kind: 'malformed' as const, reason } });
  if (!isObj(value)) return malformed('not a JSON object');
  if (typeof value.v !== 'number') return malformed('no format version field "v"');
  if (value.v > DATASET_VERSION) return { problem: { kind: 'future-version', version: value.v } };
  if (value.v !== DATASET_VERSION) return malformed(`unknown format version ${value.v}`);
  if (typeof value.ts !== 'number') return malformed('"ts" is not a number');
  if (typeof value.route !== 'string' || value.route === '') return malformed('"route" is not a non-empty string');
  if (typeof value.policy !== 'string') return malformed('"policy" is not a string');
  const req = value.request;
  if (!isObj(req)) return malformed('"request" is not an object');
  if (typeof req.method !== 'string' || typeof req.path !== 'string' || !req.path.startsWith('/')) return malformed('"request" needs a method and a path starting with /');
  if (!isStrMap(req.headers)) return malformed('"request.headers" is not an object of strings');
  if (typeof req.body !== 'string' || !isEncoding(req.bodyEncoding)) return malformed('"request.body" is not a string (or an unknown bodyEncoding)');
  if (!isObj(value.responses)) return malformed('"responses" is not an object');
  for (const [role, r] of Object.entries(value.responses)) {
    if (!(SHADOW_ROLES as readonly string[]).includes(role)) return malformed(`unknown response role "${role}"`);
    const p = responseProblem(r);
    if (p) return malformed(`"responses.${role}" ${p}`);
  }
  if (value.features !== undefined && (!isObj(value.features) || !Object.values(value.features).every((m) => m === 'kept' || m === 'replaced'))) {
    return malformed('"features" is not an object of "kept" / "replaced"');
  }
  return { record: value as unknown as DatasetRecord };
}
