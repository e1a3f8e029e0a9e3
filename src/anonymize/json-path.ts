// JSON paths for field rules: `$.a.b`, `$['a b']`, `$.items[*].email`, `$.items[0]`, `$..email`.
// Compiled once into segments and matched incrementally while walking, like an NFA over the path.

export type Segment =
  | { kind: 'child'; name: string }
  | { kind: 'any' }
  | { kind: 'index'; index: number }
  | { kind: 'descendant'; name: string };

const TOKEN = /^(?:\.\.([A-Za-z0-9_$\-]+|\*)|\.([A-Za-z0-9_$\-]+)|\.\*|\[\*\]|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\])/;

/** Segments of a path, or a message saying what is wrong with it. */
export function parseJsonPath(path: string): Segment[] | string {
  if (!path.startsWith('$')) return 'a JSON path starts with $';
  const segs: Segment[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = TOKEN.exec(rest);
    if (m === null) return `cannot read the path from "${rest.slice(0, 20)}"`;
    if (m[1] !== undefined) segs.push({ kind: 'descendant', name: m[1] });
    else if (m[2] !== undefined) segs.push({ kind: 'child', name: m[2] });
    else if (m[3] !== undefined) segs.push({ kind: 'index', index: Number(m[3]) });
    else if (m[4] !== undefined || m[5] !== undefined) segs.push({ kind: 'child', name: (m[4] ?? m[5])! });
    else segs.push({ kind: 'any' });
    rest = rest.slice(m[0].length);
  }
  if (segs.length === 0) return 'the path names no field';
  return segs;
}

/** Active states are flat pairs [rule, segment, rule, segment, …]. */
export type States = readonly number[];

export interface Step {
  states: number[];
  /** Index of the first (in config order) rule that matches this node exactly, or -1. */
  matched: number;
}

const EMPTY: Step = { states: [], matched: -1 };

export function step(rules: readonly (readonly Segment[])[], states: States, key: string | number): Step {
  if (states.length === 0) return EMPTY;
  const next: number[] = [];
  let matched = -1;
  const advance = (r: number, i: number) => {
    if (i === rules[r]!.length) { if (matched < 0 || r < matched) matched = r; }
    else next.push(r, i);
  };
  for (let s = 0; s < states.length; s += 2) {
    const r = states[s]!;
    const i = states[s + 1]!;
    const seg = rules[r]![i]!;
    switch (seg.kind) {
      case 'child': if (key === seg.name) advance(r, i + 1); break;
      case 'any': advance(r, i + 1); break;
      case 'index': if (key === seg.index) advance(r, i + 1); break;
      case 'descendant':
        next.push(r, i);
        if (typeof key === 'string' && (seg.name === '*' || seg.name === key)) advance(r, i + 1);
        break;
    }
  }
  return { states: next, matched };
}

/** The value at a path without wildcards (date-shift subjects), or undefined. */
export function valueAt(root: unknown, segs: readonly Segment[]): unknown {
  let cur: unknown = root;
  for (const seg of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (seg.kind === 'child') cur = (cur as Record<string, unknown>)[seg.name];
    else if (seg.kind === 'index' && Array.isArray(cur)) cur = cur[seg.index];
    else return undefined;
  }
  return cur;
}
