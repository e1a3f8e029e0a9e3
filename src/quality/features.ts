// What the shadow thread sends back about a copy's inputs: one compact observation per configured
// feature, read from the anonymized request (what the sandbox sees). A field the policy kept travels as
// its value (a number, a boolean, a string cut to MAX_CATEGORY_CHARS); a field the policy replaced
// travels as its shape only (type and length), never as a value. Pure: the caller parses the bodies.
import { parseJsonPath, isSingular, formatJsonPath, valueAt, type Segment } from '../kernel/json-path.js';

/** JSON types as a profile names them; `pseudonymized` marks a value mode feature the policy replaced. */
export type ValueType = 'number' | 'string' | 'boolean' | 'object' | 'array';

/** The shape of a value: its type, and its length for a string or an array. */
export interface Shape { readonly t: ValueType; readonly len?: number }

/** One feature of one copy: missing (absent or null), a kept scalar, or a shape (replaced, or an object/array). */
export type Observed = null | number | string | boolean | Shape;

/** Categories longer than this are cut (bounded messages and category keys). */
export const MAX_CATEGORY_CHARS = 64;

export interface CompiledFeature {
  /** Short name: the last member of the path, unless two features share it (then the path). */
  readonly name: string;
  readonly path: string;
  readonly segs: readonly Segment[];
}

/** Compiles the configured feature paths (singular paths: members and indices; the schema checked them). */
export function compileFeatures(paths: readonly string[]): CompiledFeature[] {
  const compiled = paths.map((path) => {
    const segs = parseJsonPath(path);
    if (typeof segs === 'string' || !isSingular(segs)) throw new Error(`quality feature ${path}: a path to one value`);
    const last = segs[segs.length - 1]!;
    return { path: formatJsonPath(segs), segs, short: last.kind === 'child' ? last.name : formatJsonPath(segs) };
  });
  return compiled.map((f) => ({ name: compiled.filter((g) => g.short === f.short).length > 1 ? f.path : f.short, path: f.path, segs: f.segs }));
}

export function shapeOf(v: unknown): Shape {
  if (typeof v === 'string') return { t: 'string', len: v.length };
  if (Array.isArray(v)) return { t: 'array', len: v.length };
  if (typeof v === 'number') return { t: 'number' };
  if (typeof v === 'boolean') return { t: 'boolean' };
  return { t: 'object' };
}

/**
 * The observations of one request. `anonymized` is the parsed body the sandbox received; `source` the
 * parsed body before the policy ran, used only to ask whether the policy changed the value (a yes sends
 * the shape; the source's value itself is never returned). `source` undefined: every field was kept
 * (raw synthetic traffic under `policy: none`).
 */
export function observeFeatures(features: readonly CompiledFeature[], anonymized: unknown, source: unknown): Observed[] {
  return observeWith(features, anonymized, source === undefined ? undefined : (f, v) => valueAt(source, f.segs) !== v);
}

/**
 * The observations of one recorded request (quality.reference.dataset): as observeFeatures saw the copy
 * live, the record's `features` saying which values the policy replaced. `replaced` undefined: every field
 * was kept (policy none).
 */
export function observeRecorded(features: readonly CompiledFeature[], anonymized: unknown, replaced: ReadonlySet<string> | undefined): Observed[] {
  return observeWith(features, anonymized, replaced === undefined ? undefined : (f) => replaced.has(f.path));
}

/** Whether each feature's value was kept or replaced, as the observations say (a dataset record's `features`). */
export function featureModes(features: readonly CompiledFeature[], observed: readonly Observed[]): Record<string, 'kept' | 'replaced'> {
  const out: Record<string, 'kept' | 'replaced'> = {};
  features.forEach((f, i) => {
    const o = observed[i];
    // A scalar's shape is a value the policy replaced (an object or array is a shape as it is).
    out[f.path] = o !== null && typeof o === 'object' && (o.t === 'string' || o.t === 'number' || o.t === 'boolean') ? 'replaced' : 'kept';
  });
  return out;
}

function observeWith(features: readonly CompiledFeature[], anonymized: unknown, changed: ((f: CompiledFeature, v: unknown) => boolean) | undefined): Observed[] {
  return features.map((f) => {
    const v = valueAt(anonymized, f.segs);
    if (v === undefined || v === null) return null;
    if (typeof v === 'object') return shapeOf(v);
    if (changed !== undefined && changed(f, v)) return shapeOf(v);
    if (typeof v === 'number') return Number.isFinite(v) ? v : shapeOf(v);
    if (typeof v === 'string') return v.length > MAX_CATEGORY_CHARS ? v.slice(0, MAX_CATEGORY_CHARS) : v;
    return v as boolean;
  });
}

/** A prediction's label or score as the profile keeps it (a number, a category), or undefined. */
export function predictionValue(body: unknown, segs: readonly Segment[]): number | string | undefined {
  const v = valueAt(body, segs);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') return v.slice(0, MAX_CATEGORY_CHARS);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}
