// Typed differences between two answers (Diffy's vocabulary: value, type, missing, extra, order-only,
// length) at normalized paths, plus what configured fields measure on the way: score deltas, text
// similarity, overlap@k. One walk over both JSON trees; non-JSON bodies compare by bytes.
import type { ShadowResponse } from '../exchange.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import type { CompiledRules, PathNode } from './rules.js';
import { textSimilarity } from './text.js';

export type DifferenceKind = 'value' | 'type' | 'missing' | 'extra' | 'order' | 'length' | 'text';
export const DIFFERENCE_KINDS: readonly DifferenceKind[] = ['value', 'type', 'missing', 'extra', 'order', 'length', 'text'];

/** Pseudo-fields for what is not inside a JSON body. */
export const STATUS_FIELD = 'status';
export const CONTENT_TYPE_FIELD = 'content-type';
export const BODY_FIELD = 'body';

/** Where one walk puts its findings; reused across calls to spare allocations on the shadow path. */
export class DiffResult {
  /** Flat [path, kind] pairs; a path may repeat (several elements of one list). */
  readonly differences: [string, DifferenceKind][] = [];
  /** [path, candidate - incumbent] for score paths. */
  readonly scoreDeltas: [string, number][] = [];
  readonly similarities: [string, number][] = [];
  readonly overlaps: [string, number][] = [];

  clear(): void {
    this.differences.length = 0;
    this.scoreDeltas.length = 0;
    this.similarities.length = 0;
    this.overlaps.length = 0;
  }

  /** Distinct differing paths, first kind seen for each. */
  fields(): Map<string, DifferenceKind> {
    const out = new Map<string, DifferenceKind>();
    for (const [path, kind] of this.differences) if (!out.has(path)) out.set(path, kind);
    return out;
  }
}

type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

function jsonKind(v: unknown): JsonKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as JsonKind;
}

function withinTolerance(a: number, b: number, t: { readonly abs?: number | undefined; readonly rel?: number | undefined }): boolean {
  // numpy.isclose's rule, symmetric: abs + rel × the larger magnitude.
  return Math.abs(a - b) <= (t.abs ?? 0) + (t.rel ?? 0) * Math.max(Math.abs(a), Math.abs(b));
}

function multisetEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  const counts = new Map<string, number>();
  for (const v of a) {
    const k = canonicalJson(v);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const v of b) {
    const k = canonicalJson(v);
    const c = counts.get(k);
    if (!c) return false;
    counts.set(k, c - 1);
  }
  return true;
}

/** |top-k(a) ∩ top-k(b)| / k, with k shrunk to the longer list when both are short. */
export function overlapAtK(a: readonly unknown[], b: readonly unknown[], k: number): number {
  const denom = Math.min(k, Math.max(a.length, b.length));
  if (denom === 0) return 1;
  const top = new Set(a.slice(0, k).map(canonicalJson));
  let common = 0;
  for (const v of b.slice(0, k)) if (top.delete(canonicalJson(v))) common++;
  return common / denom;
}

/** Diffs two parsed JSON documents into `out` (which is not cleared). */
export function diffJson(a: unknown, b: unknown, rules: CompiledRules, out: DiffResult, node: PathNode = rules.root): void {
  const { rule, path } = node;
  if (rule.ignored) return;
  const ka = jsonKind(a);
  if (ka !== jsonKind(b)) {
    out.differences.push([path, 'type']);
    return;
  }
  switch (ka) {
    case 'number': {
      const x = a as number;
      const y = b as number;
      if (rule.score) out.scoreDeltas.push([path, y - x]);
      if (x !== y && (rule.tolerance === undefined || !withinTolerance(x, y, rule.tolerance))) out.differences.push([path, 'value']);
      return;
    }
    case 'string': {
      if (rule.minSimilarity !== undefined) {
        const sim = textSimilarity(a as string, b as string);
        out.similarities.push([path, sim]);
        if (sim < rule.minSimilarity) out.differences.push([path, 'text']);
      } else if (a !== b) {
        out.differences.push([path, 'value']);
      }
      return;
    }
    case 'array':
      diffArray(a as unknown[], b as unknown[], node, rules, out);
      return;
    case 'object':
      diffObject(a as Record<string, unknown>, b as Record<string, unknown>, node, rules, out);
      return;
    default:
      if (a !== b) out.differences.push([path, 'value']);
  }
}

function diffArray(a: unknown[], b: unknown[], node: PathNode, rules: CompiledRules, out: DiffResult): void {
  const { rule, path } = node;
  if (rule.topK !== undefined) out.overlaps.push([path, overlapAtK(a, b, rule.topK)]);
  if (rule.unordered) {
    if (!multisetEqual(a, b)) out.differences.push([path, a.length !== b.length ? 'length' : 'value']);
    return;
  }
  if (a.length !== b.length) out.differences.push([path, 'length']);
  const mark = out.differences.length;
  const scoreMark = out.scoreDeltas.length;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) diffJson(a[i], b[i], rules, out, node.element(i));
  // Same elements in another order: one `order` difference, not one per shifted element.
  if (out.differences.length > mark && a.length === b.length && multisetEqual(a, b)) {
    out.differences.length = mark;
    out.scoreDeltas.length = scoreMark;
    out.differences.push([path, 'order']);
  }
}

function diffObject(a: Record<string, unknown>, b: Record<string, unknown>, node: PathNode, rules: CompiledRules, out: DiffResult): void {
  for (const key of Object.keys(a)) {
    const child = node.member(key);
    if (Object.hasOwn(b, key)) diffJson(a[key], b[key], rules, out, child);
    else if (!child.rule.ignored) out.differences.push([child.path, 'missing']);
  }
  for (const key of Object.keys(b)) {
    if (Object.hasOwn(a, key)) continue;
    const child = node.member(key);
    if (!child.rule.ignored) out.differences.push([child.path, 'extra']);
  }
}

function mediaType(headers: Readonly<Record<string, string>>): string {
  const ct = headers['content-type'] ?? '';
  const semi = ct.indexOf(';');
  return (semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase();
}

function looksLikeJson(body: Buffer, type: string): boolean {
  if (type.includes('json')) return true;
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

/** A parsed body: JSON when it is JSON, otherwise `NOT_JSON`. */
export const NOT_JSON: unique symbol = Symbol('not json');
export type ParsedBody = unknown;

export function parseBody(res: ShadowResponse): ParsedBody {
  if (res.body.length === 0 || !looksLikeJson(res.body, mediaType(res.headers))) return NOT_JSON;
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/**
 * Each answer of one exchange parsed at most once, shared by its diff, its noise diff, its labels and the
 * dataset's leak guard (which reads the same tree instead of parsing the body again).
 */
export class ParsedAnswers {
  readonly #byResponse = new Map<ShadowResponse, ParsedBody>();
  /** JSON.parse calls made (what the fast path saves; tests read it). */
  parses = 0;

  of(r: ShadowResponse): ParsedBody {
    if (this.#byResponse.has(r)) return this.#byResponse.get(r);
    this.parses++;
    const p = parseBody(r);
    this.#byResponse.set(r, p);
    return p;
  }

  /** `r`, known to be byte-identical to `same` with the same media type, shares its parse. */
  alias(r: ShadowResponse, same: ShadowResponse): ParsedBody {
    const p = this.of(same);
    this.#byResponse.set(r, p);
    return p;
  }

  /** The parse made so far, if any (a JSON tree, or NOT_JSON); undefined when `r` was never parsed. */
  peek(r: ShadowResponse): ParsedBody | undefined {
    return this.#byResponse.get(r);
  }
}

/**
 * Two answers that compare equal without reading them: same status, same media type, same bytes. Their
 * diff has no difference (whatever the ignore rules), and only measuring rules (scores, similarity,
 * overlap@k) still need one body parsed. Answers that differ only in ignored fields are not this: their
 * bytes differ, so they take the parse.
 */
export function sameAnswer(a: ShadowResponse, b: ShadowResponse): boolean {
  return a.status === b.status && a.body.length === b.body.length && mediaType(a.headers) === mediaType(b.headers) && a.body.equals(b.body);
}

/**
 * Compares two answered responses: status first (different statuses make body diffs meaningless),
 * then content type, then the bodies (JSON tree or bytes).
 */
export function diffResponses(a: ShadowResponse, pa: ParsedBody, b: ShadowResponse, pb: ParsedBody, rules: CompiledRules, out: DiffResult): void {
  if (a.status !== b.status) {
    out.differences.push([STATUS_FIELD, 'value']);
    return;
  }
  if (mediaType(a.headers) !== mediaType(b.headers)) out.differences.push([CONTENT_TYPE_FIELD, 'value']);
  if (pa !== NOT_JSON && pb !== NOT_JSON) {
    diffJson(pa, pb, rules, out);
  } else if (pa !== NOT_JSON || pb !== NOT_JSON) {
    out.differences.push([BODY_FIELD, 'type']);
  } else if (!a.body.equals(b.body)) {
    out.differences.push([BODY_FIELD, a.body.length !== b.body.length ? 'length' : 'value']);
  }
}
