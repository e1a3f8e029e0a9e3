// The one JSON-path grammar (an RFC 9535 subset, docs/json-paths.md) and its matcher. Both readers of
// paths — the anonymizer's streaming/tree walk and the comparison rules — parse with `parseJsonPath` and
// match with `step`/`stepAll` over the same segments, so `[0]`, `*` and `..` mean one thing everywhere:
//   `$`            the root          `.name` `['name']` `["name"]`  the member `name`
//   `[N]`          array index N     `.*` `[*]`                     any member or element
//   `..name` `..['name']`  `name` at any depth below     `..*` `..[*]`  anything at any depth below
// Compiled once into segments and matched incrementally while walking, like an NFA over the path.

/** One selector applied to the children of a node. */
export type Segment =
  | { readonly kind: 'child'; readonly name: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'index'; readonly index: number }
  /** A descendant at any depth (≥ 1) named `name`, or any descendant when `name` is null (`..*`). */
  | { readonly kind: 'descendant'; readonly name: string | null };

/** Unquoted member names (RFC 9535 member-name-shorthand, also allowing leading digits, `-` and `$`). */
const NAME = /^[A-Za-z0-9_$\-\u0080-\uffff]+/;

/** A quoted name at `s[0]` (`'` or `"`), RFC 9535 escapes; [value, length] or a message. */
function quoted(s: string): [string, number] | string {
  const q = s[0]!;
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (c === q) return [out, i + 1];
    if (c !== '\\') { out += c; continue; }
    const e = s[++i];
    if (e === q || e === '\\' || e === '/') out += e;
    else if (e === "'" || e === '"') out += e;
    else if (e === 'b') out += '\b';
    else if (e === 'f') out += '\f';
    else if (e === 'n') out += '\n';
    else if (e === 'r') out += '\r';
    else if (e === 't') out += '\t';
    else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) { out += String.fromCharCode(parseInt(s.slice(i + 1, i + 5), 16)); i += 4; }
    else return `bad escape \\${e ?? ''} in a quoted name`;
  }
  return 'a quoted name is not closed';
}

/** One bracket or dot selector at the start of `s`: [segment, length] or a message. */
function selector(s: string, descendant: boolean): [Segment, number] | string {
  if (s.startsWith('*')) return [descendant ? { kind: 'descendant', name: null } : { kind: 'any' }, 1];
  if (s.startsWith('[')) {
    const inner = s.slice(1);
    if (inner.startsWith('*]')) return [descendant ? { kind: 'descendant', name: null } : { kind: 'any' }, 3];
    const idx = /^(0|[1-9]\d{0,15})\]/.exec(inner);
    if (idx !== null) {
      if (descendant) return '`..[N]` (an index at any depth) is not supported';
      return [{ kind: 'index', index: Number(idx[1]) }, idx[0].length + 1];
    }
    if (inner.startsWith("'") || inner.startsWith('"')) {
      const q = quoted(inner);
      if (typeof q === 'string') return q;
      if (inner[q[1]] !== ']') return 'expected ] after a quoted name';
      return [descendant ? { kind: 'descendant', name: q[0] } : { kind: 'child', name: q[0] }, q[1] + 2];
    }
    if (/^-\d/.test(inner)) return 'negative indices are not supported';
    if (/^\d*:/.test(inner)) return 'array slices are not supported';
    if (inner.startsWith('?')) return 'filters are not supported';
    return `cannot read the selector "${s.slice(0, 20)}"`;
  }
  const m = NAME.exec(s);
  if (m === null) return `cannot read the path from "${s.slice(0, 20)}"`;
  return [descendant ? { kind: 'descendant', name: m[0] } : { kind: 'child', name: m[0] }, m[0].length];
}

/** Segments of a path, or a message saying what is wrong with it. */
export function parseJsonPath(path: string): Segment[] | string {
  if (!path.startsWith('$')) return 'a JSON path starts with $';
  const segs: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    const rest = path.slice(i);
    let sel: [Segment, number] | string;
    if (rest.startsWith('..')) {
      sel = selector(rest.slice(2), true);
      if (typeof sel !== 'string') sel[1] += 2;
    } else if (rest.startsWith('.')) {
      if (rest.startsWith('.[')) return `cannot read the path from "${rest.slice(0, 20)}"`;
      sel = selector(rest.slice(1), false);
      if (typeof sel !== 'string') sel[1] += 1;
    } else if (rest.startsWith('[')) {
      sel = selector(rest, false);
    } else {
      return `cannot read the path from "${rest.slice(0, 20)}"`;
    }
    if (typeof sel === 'string') return sel;
    segs.push(sel[0]);
    i += sel[1];
  }
  if (segs.length === 0) return 'the path names no field';
  return segs;
}

/** True when the path selects at most one value (members and indices only): a label, a date-shift subject. */
export function isSingular(segs: readonly Segment[]): boolean {
  return segs.every((s) => s.kind === 'child' || s.kind === 'index');
}

/** Writes segments back as a path in the canonical spelling (`$.a['b c'][0]..d[*]`). */
export function formatJsonPath(segs: readonly Segment[]): string {
  const name = (n: string) => NAME.exec(n)?.[0] === n ? n : `[${quote(n)}]`;
  let out = '$';
  for (const s of segs) {
    if (s.kind === 'index') out += `[${s.index}]`;
    else if (s.kind === 'any') out += '[*]';
    else if (s.kind === 'child') { const n = name(s.name); out += n.startsWith('[') ? n : `.${n}`; }
    else if (s.name === null) out += '..*';
    else { const n = name(s.name); out += `..${n}`; }
  }
  return out;
}

function quote(n: string): string {
  return `'${n.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// ---- matching: active states are flat pairs [path, segment, path, segment, …] ----

/** Active states are flat pairs [path, segment, path, segment, …]. */
export type States = readonly number[];

/** The initial states of a set of paths (every path at its first segment). */
export function initialStates(count: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < count; r++) out.push(r, 0);
  return out;
}

/** Whether a selector takes the child `key` (a member name, or an array index as a number). */
function selects(seg: Segment, key: string | number): boolean {
  switch (seg.kind) {
    case 'child': return key === seg.name;
    case 'index': return key === seg.index;
    case 'any': return true;
    case 'descendant': return seg.name === null || key === seg.name;
  }
}

export interface Step {
  states: number[];
  /** Index of the first (in config order) path that matches this node exactly, or -1. */
  matched: number;
}

const EMPTY: Step = { states: [], matched: -1 };

/** The anonymizer's compiled form: a step to child `key`, with the first path it completes. */
export function step(paths: readonly (readonly Segment[])[], states: States, key: string | number): Step {
  if (states.length === 0) return EMPTY;
  const next: number[] = [];
  let matched = -1;
  for (let s = 0; s < states.length; s += 2) {
    const r = states[s]!;
    const i = states[s + 1]!;
    const seg = paths[r]![i]!;
    if (seg.kind === 'descendant') next.push(r, i);
    if (!selects(seg, key)) continue;
    if (i + 1 === paths[r]!.length) { if (matched < 0 || r < matched) matched = r; }
    else next.push(r, i + 1);
  }
  return { states: next, matched };
}

/** A step to child `key` with every path it completes (in config order): what a set of compare rules needs. */
export function stepAll(paths: readonly (readonly Segment[])[], states: States, key: string | number): { states: number[]; matched: number[] } {
  const next: number[] = [];
  const matched: number[] = [];
  for (let s = 0; s < states.length; s += 2) {
    const r = states[s]!;
    const i = states[s + 1]!;
    const seg = paths[r]![i]!;
    if (seg.kind === 'descendant') next.push(r, i);
    if (!selects(seg, key)) continue;
    if (i + 1 === paths[r]!.length) matched.push(r);
    else next.push(r, i + 1);
  }
  matched.sort((a, b) => a - b);
  return { states: next, matched };
}

/** Whether the next step's outcome can depend on which array index it takes (some state waits on `[N]`). */
export function indexSensitive(paths: readonly (readonly Segment[])[], states: States): boolean {
  for (let s = 0; s < states.length; s += 2) if (paths[states[s]!]![states[s + 1]!]!.kind === 'index') return true;
  return false;
}

/** The value at a singular path (members and indices only), or undefined. */
export function valueAt(root: unknown, segs: readonly Segment[]): unknown {
  let cur: unknown = root;
  for (const seg of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (seg.kind === 'child' && !Array.isArray(cur)) cur = Object.hasOwn(cur, seg.name) ? (cur as Record<string, unknown>)[seg.name] : undefined;
    else if (seg.kind === 'index' && Array.isArray(cur)) cur = cur[seg.index];
    else return undefined;
  }
  return cur;
}

// ---- the two compilers over the one grammar ----

/**
 * A policy field path for the anonymizer's matcher (json-stream.ts, json-body.ts, the codecs' fields.ts
 * walk it with `step`), read as written: nothing in it changed meaning.
 */
export function compileStreamPath(path: string): Segment[] | string {
  return parseJsonPath(path);
}

/** How the compare rules of a configuration read their paths (`compare.pathSyntax`). */
export interface CompareSyntax {
  /** True once the configuration says `pathSyntax: rfc9535`: `[N]` in a rule is then index N. */
  readonly rfc9535: boolean;
}

/**
 * A compare rule path (ignore, tolerance, unordered, scores, topK, text), or the reason it is refused.
 * Compare rules were once globs over index-free paths: `[0]` meant any element, `**` any text across
 * levels, `*` any part of one name. A path whose meaning would change is refused with the rewrite to
 * use, never reinterpreted: `**` and a `*` inside a name always; `[N]` until the configuration says
 * `pathSyntax: rfc9535` (then it is index N, as in an anonymize policy).
 */
export function compileComparePath(path: string, syntax: CompareSyntax): Segment[] | string {
  if (path.includes('**')) {
    const base = path.slice(0, path.indexOf('**')).replace(/\.$/, '');
    return `\`**\` is no longer a glob: write \`${base || '$'}..*\` for everything below ${base || '$'} (and list \`${base || '$'}\` too for the value itself), or \`..name\` for a member at any depth`;
  }
  if (/[^.[\]'"$]\*|\*[^.[\]'"]/.test(path.replace(/(['"])(?:\\.|(?!\1).)*\1/g, "''"))) {
    return '`*` is a whole member or element now (`.*`, `[*]`), not part of a name';
  }
  const segs = parseJsonPath(path);
  if (typeof segs === 'string') return segs;
  if (!syntax.rfc9535 && segs.some((s) => s.kind === 'index')) {
    const any = formatJsonPath(segs.map((s) => s.kind === 'index' ? { kind: 'any' } : s));
    const n = segs.find((s) => s.kind === 'index')!;
    return `\`[${n.kind === 'index' ? n.index : 0}]\` now means index ${n.kind === 'index' ? n.index : 0} (it meant any element in compare rules): write \`${any}\` for any element, or set compare.pathSyntax: rfc9535 to keep the index`;
  }
  return segs;
}

/** A compare label: one value (members and indices). `[*]` once meant the first element there; now it is refused. */
export function compileLabelPath(path: string): Segment[] | string {
  const segs = parseJsonPath(path);
  if (typeof segs === 'string') return segs;
  if (segs.some((s) => s.kind === 'any')) {
    return `\`[*]\` means any element, not the first: write \`${formatJsonPath(segs.map((s) => s.kind === 'any' ? { kind: 'index', index: 0 } : s))}\` for the first element`;
  }
  if (!isSingular(segs)) return 'a label names one value: members and indices only, no `..`';
  return segs;
}
