// compare.slices' keys (docs/slices.md): one value per configured request path, read in the shadow thread
// from the anonymized request (and in replay from the recorded one). Kept apart from slices.ts so a shadow
// thread loads neither the tables nor their snapshot schema (zod).
import type { SlicesConfig } from '../config/schema.js';
import { ShadowgateError } from '../errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { compileLabelPath, valueAt, type Segment } from '../kernel/json-path.js';

/** The segment of requests without the field (or without a JSON body). */
export const MISSING = '(missing)';
/** A slice value is a category name, not a document. */
export const MAX_SLICE_VALUE_CHARS = 64;

/** A route's slice paths, compiled once per configuration. */
export interface SlicePaths {
  readonly paths: readonly (readonly Segment[])[];
}

export function compileSlicePaths(cfg: SlicesConfig | undefined): SlicePaths | undefined {
  if (cfg === undefined) return undefined;
  return {
    paths: cfg.paths.map((p) => {
      const segs = compileLabelPath(p.path);
      // The schema refused a bad path already; this only narrows the type.
      if (typeof segs === 'string') throw new ShadowgateError('SG_ERR_CONFIG', `compare.slices: path ${p.path}: ${segs}`);
      return segs;
    }),
  };
}

function sliceValue(v: unknown): string {
  if (v === undefined) return MISSING;
  return (typeof v === 'string' ? v : canonicalJson(v)).slice(0, MAX_SLICE_VALUE_CHARS);
}

/**
 * One value per slice path (`(missing)` where the field is absent or the body is not JSON), from the body
 * the sandbox received: kept fields as they were, a pseudonymized field as its pseudonym.
 */
export function sliceKeys(paths: SlicePaths, body: Uint8Array): string[] {
  return sliceKeysOfDoc(paths, jsonDoc(body));
}

/** A request body as JSON (undefined when empty or not JSON), read as UTF-8 without content decoding. */
export function jsonDoc(body: Uint8Array): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The slice keys of a body parsed already (`jsonDoc`), so one parse serves them and the quality features. */
export function sliceKeysOfDoc(paths: SlicePaths, doc: unknown): string[] {
  return paths.paths.map((segs) => sliceValue(doc === undefined ? undefined : valueAt(doc, segs)));
}

