// The quality features of one copy, in the shadow thread (docs/quality.md): the configured paths read on
// the anonymized body (what the sandbox sees), each as its value when the policy kept it or its shape
// when the policy replaced it, and the two answers' scores when predictions.score is set. Travels back
// in the result message; a body that is not JSON is not observed.
import type { RouteConfig } from '../config/schema.js';
import type { AnonymizedRequest, RawRequest, ShadowResponse } from '../exchange.js';
import { decodeContent, isBodyFailure } from '../anonymize/body-decode.js';
import { NOT_JSON, type ParsedAnswers } from '../compare/diff.js';
import { compileLabelPath, type Segment } from '../kernel/json-path.js';
import { compileFeatures, observeFeatures, predictionValue, type CompiledFeature, type QualityObservation } from '../quality/index.js';

export interface ThreadQuality {
  readonly features: readonly CompiledFeature[];
  readonly score: readonly Segment[] | undefined;
  /** Decoded body bound (the route's shadow.maxBodyBytes, as the policy had). */
  readonly maxBytes: number;
}

export function threadQuality(r: RouteConfig): ThreadQuality | undefined {
  if (r.quality === undefined || r.shadow === undefined) return undefined;
  const score = r.quality.predictions.score === undefined ? undefined : compileLabelPath(r.quality.predictions.score);
  return { features: compileFeatures(r.quality.features), score: typeof score === 'string' ? undefined : score, maxBytes: Math.max(r.shadow.maxBodyBytes, r.shadow.maxResponseBytes) };
}

function header(h: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A body as JSON (content coding undone), or undefined. */
export function json(body: Buffer, encoding: string | undefined, maxBytes: number): unknown {
  if (body.length === 0) return undefined;
  try {
    const decoded = decodeContent(body, encoding, maxBytes);
    return isBodyFailure(decoded) ? undefined : JSON.parse(decoded.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** What the rest of the copy parsed already: the anonymized body (`jsonDoc`, identity coding) and the answers. */
export interface SharedParses {
  readonly request?: { readonly json: unknown };
  readonly answers?: ParsedAnswers;
}

/**
 * One copy's observation. `source` is the request before the policy (decoded for gRPC): it is only asked
 * whether a value changed; `kept` (policy none: raw synthetic traffic) skips that question. `shared`: the
 * parses the diff and the slice keys make of the same bodies, so each body is parsed once per copy.
 */
export function observeCopy(q: ThreadQuality, source: RawRequest, request: AnonymizedRequest, kept: boolean, answers: readonly ShadowResponse[], shared: SharedParses = {}): QualityObservation | undefined {
  const body = shared.request !== undefined ? shared.request.json : json(request.body, header(request.headers, 'content-encoding'), q.maxBytes);
  if (body === undefined) return undefined;
  const before = kept ? undefined : json(source.body, header(source.headers, 'content-encoding'), q.maxBytes);
  // A source that does not parse (another charset, say) cannot vouch for a kept value: everything is a shape then.
  const features = observeFeatures(q.features, body, kept ? undefined : before ?? null);
  if (q.score === undefined) return { features };
  const scoreOf = (role: string) => {
    const a = answers.find((r) => r.role === role && r.error === undefined);
    const v = a === undefined ? undefined : predictionValue(answerJson(a, q.maxBytes, shared.answers), q.score!);
    return typeof v === 'number' ? v : undefined;
  };
  const inc = scoreOf('incumbent');
  const cand = scoreOf('candidate');
  return inc === undefined || cand === undefined ? { features } : { features, scores: [inc, cand] };
}

/** An answer as JSON: the diff's parse when it has one of the same bytes (no content coding), else its own. */
function answerJson(a: ShadowResponse, maxBytes: number, parsed: ParsedAnswers | undefined): unknown {
  const encoding = a.headers['content-encoding'];
  if (parsed !== undefined && encoding === undefined) {
    const tree = parsed.of(a);
    if (tree !== NOT_JSON) return tree;
  }
  return json(a.body, encoding, maxBytes);
}
