// Normalized JSON paths (`$.items[*].score`: every array index becomes [*], so one field is one path
// whatever the list length) and the glob patterns config rules are written in.
import { ShadowgateError } from '../errors.js';

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
 * Compiles a rule pattern. `$` is the body root; `.name` a member; `[*]` or `[3]` any element (paths
 * never keep indices); `*` one member name; `**` anything, across levels. With `descendants`, the
 * pattern also matches everything below what it names (ignoring `$.usage` ignores `$.usage.tokens`).
 */
export function compilePattern(pattern: string, descendants = false): RegExp {
  if (!pattern.startsWith('$')) throw invalidPattern(pattern, 'a path starts with $');
  const normalized = pattern.replace(/\[\s*\d+\s*\]/g, '[*]');
  let source = '';
  for (let i = 0; i < normalized.length; i++) {
    const ch = normalized[i]!;
    if (normalized.startsWith('[*]', i)) {
      source += '\\[\\*\\]';
      i += 2;
    } else if (normalized.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (ch === '*') {
      source += '[^.\\[]*';
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}${descendants ? '(?:$|[.\\[])' : '$'}`);
}

type Step = { key: string } | { index: number };

/** Parses a concrete path such as `$.choices[0].message` (`[*]` means the first element). */
export function parseConcretePath(path: string): readonly Step[] {
  if (!path.startsWith('$')) throw invalidPattern(path, 'a path starts with $');
  const steps: Step[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+|\*)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw invalidPattern(path, `cannot read it from position ${re.lastIndex}`);
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ index: m[2] === '*' ? 0 : Number(m[2]) });
    else steps.push({ key: JSON.parse(m[3]!) as string });
  }
  return steps;
}

/** The value at a concrete path, or undefined. */
export function valueAt(doc: unknown, steps: readonly Step[]): unknown {
  let cur = doc;
  for (const step of steps) {
    if ('key' in step) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
      cur = (cur as Record<string, unknown>)[step.key];
    } else {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[step.index];
    }
  }
  return cur;
}


