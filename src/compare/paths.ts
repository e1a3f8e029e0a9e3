// Normalized JSON paths (`$.items[*].score`: every array index becomes [*], so one field is one path
// whatever the list length), which answers are reported under, and the compilation of rule paths (the
// one grammar of src/kernel/json-path.ts, where `[0]` is index 0, `[*]` any element, `..` any depth).
import { ShadowgateError } from '../errors.js';
import { compileComparePath, compileLabelPath, formatJsonPath, type CompareSyntax, type Segment } from '../kernel/json-path.js';

export { valueAt } from '../kernel/json-path.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Path of an object member below `parent`. */
export function childPath(parent: string, key: string): string {
  return IDENT.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** Path of any element of the array at `parent`. */
export function elementPath(parent: string): string {
  return `${parent}[*]`;
}

function invalidPattern(pattern: string, why: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_CONFIG', `compare: invalid path pattern "${pattern}": ${why}`);
}

/**
 * Compiles a rule path of the one JSON-path grammar (src/kernel/json-path.ts, docs/json-paths.md) for
 * compare rules; a path whose meaning changed from the old glob dialect is refused with the reason.
 */
export function compilePattern(pattern: string, syntax: CompareSyntax = { rfc9535: false }): Segment[] {
  const segs = compileComparePath(pattern, syntax);
  if (typeof segs === 'string') throw invalidPattern(pattern, segs);
  return segs;
}

/** Compiles the label path (one value: members and indices). */
export function compileLabel(path: string): Segment[] {
  const segs = compileLabelPath(path);
  if (typeof segs === 'string') throw invalidPattern(path, segs);
  return segs;
}

/** The normalized field a configured path reports under (`$.items[0].score` → `$.items[*].score`). */
export function fieldOf(segs: readonly Segment[]): string {
  let out = '$';
  for (const s of segs) {
    if (s.kind === 'child') out = childPath(out, s.name);
    else if (s.kind === 'index' || s.kind === 'any') out = elementPath(out);
    else return formatJsonPath(segs);
  }
  return out;
}


