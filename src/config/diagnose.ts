// A configuration's problems as a compiler reports them: each at the file, line and column of the key
// that causes it, in the operator's words ("unknown key … did you mean", "missing required key"), the root
// cause first (a misspelt key before the missing one it leaves behind, a missing section before the
// names that then point nowhere). zod's issues are the input; the YAML document gives the positions.
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { z } from 'zod';
import { closest } from './did-you-mean.js';

export { closest, editDistance } from './did-you-mean.js';

export type Path = readonly PropertyKey[];

/** A problem with where it is: 1-based line and column of the offending key (or of its parent when absent). */
export interface Diagnostic {
  readonly path: Path;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** Lines shown under the message (a YAML syntax error's excerpt). */
  readonly detail?: readonly string[];
}

/** Why a problem ranks where it does: causes before their consequences. */
const enum Rank { Syntax = 0, UnknownKey = 1, Missing = 2, Value = 3, CrossCheck = 4 }

interface Ranked extends Diagnostic { readonly rank: Rank }

/** `routes[0].shadow.maxRps` */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

// --- the schema's keys at a path (for "did you mean" and "missing") ----------------------------------

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas a value at `path` may be checked against (unions give several). */
function objectsAt(schema: z.ZodType, path: Path, depth = 0): Def[] {
  if (depth > 64) return [];
  const def = defOf(schema);
  switch (def.type) {
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
      return objectsAt(def.innerType!, path, depth + 1);
    case 'pipe':
      return objectsAt(def.in!, path, depth + 1);
    case 'lazy':
      return objectsAt(def.getter!(), path, depth + 1);
    case 'union':
      return (def.options ?? []).flatMap((o) => objectsAt(o, path, depth + 1));
    case 'intersection':
      return [...objectsAt(def.left!, path, depth + 1), ...objectsAt(def.right!, path, depth + 1)];
    default:
      break;
  }
  if (path.length === 0) return def.type === 'object' ? [def] : [];
  const [seg, ...rest] = path;
  if (def.type === 'object' && typeof seg === 'string' && def.shape?.[seg] !== undefined) return objectsAt(def.shape[seg]!, rest, depth + 1);
  if (def.type === 'array' && typeof seg === 'number') return objectsAt(def.element!, rest, depth + 1);
  if (def.type === 'record') return objectsAt(def.valueType!, rest, depth + 1);
  return [];
}

/** Keys an object at `path` may have, per the schema. */
export function keysAt(schema: z.ZodType, path: Path): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})))];
}

// --- positions in the YAML document -----------------------------------------------------------------

type Doc = Document.Parsed;

/** The node at `path` and the key node naming it (undefined at the root or in a sequence). */
function locate(doc: Doc, path: Path): { node: Node | undefined; key: Node | undefined; depth: number } {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  let depth = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = (node.items as Pair<unknown, unknown>[]).find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (pair === undefined) break;
      key = isScalar(pair.key) ? pair.key : undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      key = undefined;
      node = node.items[seg];
    } else break;
    depth++;
  }
  return { node: node !== null && typeof node === 'object' && 'range' in node ? node as Node : undefined, key, depth };
}

function position(lines: LineCounter, offset: number | undefined): { line?: number; column?: number } {
  if (offset === undefined) return {};
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
}

/** Where the thing at `path` is written: its key when it has one, its value otherwise, else its deepest ancestor. */
function where(doc: Doc, lines: LineCounter, path: Path): { line?: number; column?: number } {
  const at = locate(doc, path);
  if (at.depth === path.length) return position(lines, (at.key ?? at.node)?.range?.[0]);
  // Absent: the nearest ancestor that is written (its key, or the start of the map/list it opens).
  for (let n = at.depth; n >= 0; n--) {
    const up = locate(doc, path.slice(0, n));
    const offset = (up.key ?? up.node)?.range?.[0];
    if (offset !== undefined) return position(lines, offset);
  }
  return { line: 1, column: 1 };
}

// --- from zod's issues to diagnostics ----------------------------------------------------------------

function valueAt(raw: unknown, path: Path): unknown {
  let v: unknown = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

export interface Sources {
  readonly doc: Doc;
  readonly lines: LineCounter;
  readonly schema: z.ZodType;
  /** The interpolated tree zod saw. */
  readonly raw: unknown;
}

/**
 * Turns zod's issues, the cross-field checks' problems and interpolation problems into located
 * diagnostics, the root cause first: unknown keys (each with its nearest known key), missing required keys
 * (a missing key whose misspelling is present is said once, at the misspelling), other values, then the
 * cross-field checks whose cause may be one of the above.
 */
export function diagnose(src: Sources, issues: readonly z.core.$ZodIssue[], crossChecks: readonly { path: Path; message: string }[],
  envProblems: readonly { path: Path; message: string }[]): Diagnostic[] {
  const out: Ranked[] = [];
  const missing = new Map<string, { parent: Path; key: string }>();
  const unknown: { parent: Path; key: string }[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) unknown.push({ parent: issue.path, key });
      continue;
    }
    const last = issue.path.at(-1);
    if (issue.code === 'invalid_type' && typeof last === 'string' && valueAt(src.raw, issue.path) === undefined) {
      const parent = issue.path.slice(0, -1);
      missing.set(formatPath(issue.path), { parent, key: last });
      continue;
    }
    out.push({ path: issue.path, message: issue.message, rank: Rank.Value, ...where(src.doc, src.lines, issue.path) });
  }
  const explained = new Set<string>();
  for (const { parent, key } of unknown) {
    const path = [...parent, key];
    const known = keysAt(src.schema, parent);
    const present = valueAt(src.raw, parent);
    const candidates = known.filter((k) => present === null || typeof present !== 'object' || !(k in present));
    const guess = closest(key, candidates) ?? closest(key, known);
    let message = 'unknown key';
    if (guess !== undefined) {
      const m = missing.get(formatPath([...parent, guess]));
      message += m !== undefined ? ` (did you mean "${guess}"? "${guess}" is required and missing)` : ` (did you mean "${guess}"?)`;
      if (m !== undefined) explained.add(formatPath([...parent, guess]));
    } else if (known.length > 0) {
      message += ` (known keys: ${known.join(', ')})`;
    }
    out.push({ path, message, rank: Rank.UnknownKey, ...where(src.doc, src.lines, path) });
  }
  for (const [name, { parent, key }] of missing) {
    if (explained.has(name)) continue;
    const path = [...parent, key];
    out.push({ path, message: 'missing (a required key)', rank: Rank.Missing, ...where(src.doc, src.lines, path) });
  }
  for (const p of envProblems) out.push({ ...p, rank: Rank.Missing, ...where(src.doc, src.lines, p.path) });
  for (const p of crossChecks) out.push({ ...p, rank: Rank.CrossCheck, ...where(src.doc, src.lines, p.path) });
  return sortCauseFirst(out);
}

function sortCauseFirst(list: Ranked[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.rank - b.d.rank || a.d.path.length - b.d.path.length || (a.d.line ?? 0) - (b.d.line ?? 0) || a.i - b.i)
    .map(({ d: { rank: _rank, ...rest } }) => rest);
}

/** The YAML parser's errors, each at its line and column with its whole message (and excerpt). */
export function syntaxDiagnostics(errors: readonly { message: string; linePos?: readonly { line: number; col: number }[] | undefined }[]): Diagnostic[] {
  return errors.map((e) => {
    const [first = '', ...rest] = e.message.split('\n');
    const message = first.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
    const detail = rest.filter((l) => l.trim() !== '');
    const pos = e.linePos?.[0];
    return { path: [], message, ...(pos ? { line: pos.line, column: pos.col } : {}), ...(detail.length > 0 ? { detail } : {}) };
  });
}

/** `routes[0].shadow.maxRps (line 10): …`, the problem line the admin API and `serve` print. */
export function problemLine(d: Diagnostic): string {
  if (d.path.length === 0 && d.line !== undefined) return `line ${d.line}: ${d.message}`;
  return `${formatPath(d.path)}${d.line !== undefined ? ` (line ${d.line})` : ''}: ${d.message}`;
}

/** `shadowgate.yaml:10:7: routes[0].shadow.maxRps: …`, as a compiler prints it (check-config). */
export function compilerLine(source: string, d: Diagnostic): string {
  const at = d.line !== undefined ? `${source}:${d.line}:${d.column ?? 1}` : source;
  const head = d.path.length === 0 ? `${at}: ${d.message}` : `${at}: ${formatPath(d.path)}: ${d.message}`;
  return d.detail !== undefined ? `${head}\n${d.detail.map((l) => `    ${l}`).join('\n')}` : head;
}
