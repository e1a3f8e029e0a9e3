// The one JSON-path grammar (src/kernel/json-path.ts, docs/json-paths.md): `[0]`, `*` and `..` mean the
// same in an anonymize policy and in a compare rule, `$..email` matches in compare, a compare path whose
// meaning changed is refused at load with the reason, and — for random documents and random paths — the
// anonymizer's matcher, the compare compiler and a plain RFC 9535 evaluator select the same locations.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DiffResult, diffJson } from '../../src/compare/diff.js';
import { CompiledRules, type PathNode } from '../../src/compare/rules.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import {
  compileComparePath, compileStreamPath, formatJsonPath, initialStates, parseJsonPath, step, type Segment, type States,
} from '../../src/kernel/json-path.js';
import { jsonRequest, mustAnonymize, policyFrom } from '../anonymize/helpers.js';
import { compareConfig } from '../compare/helpers.js';

function diff(a: unknown, b: unknown, raw: Record<string, unknown>): DiffResult {
  const out = new DiffResult();
  diffJson(a, b, new CompiledRules(compareConfig(raw)), out);
  return out;
}

describe('the grammar', () => {
  it('reads every form of the subset into one AST and writes it back', () => {
    expect(parseJsonPath(`$.a['b c']["d"][0][*].*..e..*..['f']`)).toEqual([
      { kind: 'child', name: 'a' }, { kind: 'child', name: 'b c' }, { kind: 'child', name: 'd' }, { kind: 'index', index: 0 },
      { kind: 'any' }, { kind: 'any' }, { kind: 'descendant', name: 'e' }, { kind: 'descendant', name: null }, { kind: 'descendant', name: 'f' },
    ]);
    expect(formatJsonPath(parseJsonPath(`$.a['b c'][0]..e..*`) as Segment[])).toBe(`$.a['b c'][0]..e..*`);
    expect(parseJsonPath('$.a[1:2]')).toMatch(/slices are not supported/);
    expect(parseJsonPath('$.a[?@.b]')).toMatch(/filters are not supported/);
    expect(parseJsonPath('a.b')).toMatch(/starts with \$/);
  });
});

describe('compare rules mean what policies mean', () => {
  const doc = { user: { email: 'a@x.io', profile: { email: 'b@x.io' } }, items: [{ email: 'c@x.io', score: 0.5 }, { score: 0.7 }] };
  const other = { user: { email: 'A@x.io', profile: { email: 'B@x.io' } }, items: [{ email: 'C@x.io', score: 0.51 }, { score: 0.71 }] };

  it('$..email matches at any depth in compare ignore, and $..score in tolerance', () => {
    const plain = diff(doc, other, {}).differences.map(([p]) => p).sort();
    expect(plain).toEqual(['$.items[*].email', '$.items[*].score', '$.items[*].score', '$.user.email', '$.user.profile.email']);
    expect(diff(doc, other, { ignore: ['$..email'] }).differences.map(([p]) => p)).toEqual(['$.items[*].score', '$.items[*].score']);
    expect(diff(doc, other, { ignore: ['$..email'], tolerance: { '$..score': { abs: 0.02 } } }).differences).toEqual([]);
  });

  it('$.items[0] is index 0 in a policy and in a compare rule: same document, same selection', () => {
    const body = { items: [{ id: 'alpha', v: 0 }, { id: 'bravo', v: 1 }, { id: 'charlie', v: 2 }] };
    // The policy: only items[0].id is pseudonymized.
    const p = policyFrom({ unknown: 'keep', fields: { '$.items[0].id': { type: 'pseudonym', prefix: 'u_' } } });
    const out = JSON.parse(mustAnonymize(p, jsonRequest(body)).body) as typeof body;
    expect(out.items.map((i) => i.id.startsWith('u_'))).toEqual([true, false, false]);
    // The compare rule on the same document: scores of $.items[0].v only (each delta names its index).
    const cand = { items: body.items.map((i) => ({ ...i, v: i.v + 10 * (i.v + 1) })) };
    const d = diff(body, cand, { pathSyntax: 'rfc9535', scores: ['$.items[0].v'], ignore: ['$.items[0].id', '$.items[1].id', '$.items[2].id'] });
    expect(d.scoreDeltas).toEqual([['$.items[*].v', 10]]);
    // And [*] is every element in both.
    const all = policyFrom({ unknown: 'keep', fields: { '$.items[*].id': { type: 'pseudonym', prefix: 'u_' } } });
    expect((JSON.parse(mustAnonymize(all, jsonRequest(body)).body) as typeof body).items.every((i) => i.id.startsWith('u_'))).toBe(true);
    expect(diff(body, cand, { scores: ['$.items[*].v'] }).scoreDeltas.map(([, x]) => x)).toEqual([10, 20, 30]);
  });
});

describe('the compare tree stays lean', () => {
  it('elements share one node unless a rule names an index there; a field reports its threshold from the field alone', () => {
    const any = new CompiledRules(compareConfig({ scores: ['$.items[*].v'] }));
    expect(any.root.member('items').element(0)).toBe(any.root.member('items').element(7));
    const one = new CompiledRules(compareConfig({ pathSyntax: 'rfc9535', scores: ['$.items[0].v'], text: { '$.items[1].t': { minSimilarity: 0.7 } } }));
    const items = one.root.member('items');
    expect(items.element(0)).not.toBe(items.element(1));
    expect([0, 1, 2].map((i) => items.element(i).member('v').rule.score)).toEqual([true, false, false]);
    // The comparer's tallies know the field, not the index: its threshold is the one any index names.
    expect(one.at('$.items[*].t').minSimilarity).toBe(0.7);
  });
});

describe('a compare path whose meaning changed is refused at load', () => {
  const config = (compare: string) => `
upstreams: { incumbent: { url: "http://127.0.0.1:9101" }, candidate: { url: "http://127.0.0.1:9102" } }
routes:
  - name: predict
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      compare: ${compare}
`;
  const problems = (compare: string): readonly string[] => {
    try {
      parseConfig(config(compare), { env: {} });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error('expected the config to be refused');
  };

  it('[0] (once any element) names the path, the section and the rewrite', () => {
    const p = problems('{ tolerance: { "$.items[0].score": { abs: 0.01 } } }');
    expect(p.join('\n')).toContain('`$.items[0].score` in compare.tolerance: `[0]` now means index 0');
    expect(p.join('\n')).toContain('write `$.items[*].score` for any element');
    expect(p.join('\n')).toContain('routes[0].shadow.compare.tolerance');
  });

  it('** (once a glob), a * inside a name and a label with [*] (once the first element) are refused with their rewrite', () => {
    expect(problems('{ ignore: ["$.predictions**"] }').join('\n')).toMatch(/`\*\*` is no longer a glob: write `\$\.predictions\.\.\*`/);
    expect(problems('{ scores: ["$.score_*"] }').join('\n')).toMatch(/`\*` is a whole member or element now/);
    expect(problems('{ label: "$.choices[*].finish_reason" }').join('\n')).toContain('write `$.choices[0].finish_reason` for the first element');
  });

  it('pathSyntax: rfc9535 says the index is meant; paths that kept their meaning load as before', () => {
    expect(() => parseConfig(config('{ pathSyntax: rfc9535, tolerance: { "$.items[0].score": { abs: 0.01 } } }'), { env: {} })).not.toThrow();
    expect(() => parseConfig(config('{ ignore: ["$..email", "$.meta.*"], tolerance: { "$.items[*].score": { abs: 0.01 } }, label: "$.choices[0].label" }'), { env: {} })).not.toThrow();
  });
});

// ---- the property: three evaluators, one selection ----

type Loc = string;
const KEYS = ['a', 'b', 'email'] as const;

/** Every location of a document with its value, in the canonical spelling. */
function locations(doc: unknown, at: Segment[] = []): [Segment[], unknown][] {
  const out: [Segment[], unknown][] = [];
  if (Array.isArray(doc)) doc.forEach((v, i) => { const p = [...at, { kind: 'index', index: i } as const]; out.push([p, v], ...locations(v, p)); });
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) { const p = [...at, { kind: 'child', name: k } as const]; out.push([p, v], ...locations(v, p)); }
  return out;
}

/** RFC 9535 read literally: each segment maps the node list to the next. */
function reference(doc: unknown, segs: readonly Segment[]): Set<Loc> {
  let nodes: [Segment[], unknown][] = [[[], doc]];
  const children = (at: Segment[], v: unknown): [Segment[], unknown][] => locations(v, at).filter(([p]) => p.length === at.length + 1);
  for (const seg of segs) {
    const next: [Segment[], unknown][] = [];
    for (const [at, v] of nodes) {
      const pool = seg.kind === 'descendant' ? locations(v, at) : children(at, v);
      for (const [p, x] of pool) {
        const last = p[p.length - 1]!;
        const ok = seg.kind === 'any' || (seg.kind === 'descendant' && seg.name === null)
          || (seg.kind === 'index' && last.kind === 'index' && last.index === seg.index)
          || ((seg.kind === 'child' || seg.kind === 'descendant') && last.kind === 'child' && last.name === seg.name);
        if (ok) next.push([p, x]);
      }
    }
    nodes = next;
  }
  return new Set(nodes.map(([p]) => formatJsonPath(p)));
}

/** The anonymizer's matcher as json-stream.ts drives it: `step` per member name or index. */
function anonymizerSelects(doc: unknown, path: string): Set<Loc> {
  const segs = compileStreamPath(path);
  if (typeof segs === 'string') throw new Error(segs);
  const out = new Set<Loc>();
  const walk = (v: unknown, states: States, at: Segment[]) => {
    const each = (key: string | number, x: unknown, seg: Segment) => {
      const s = step([segs], states, key);
      const p = [...at, seg];
      if (s.matched === 0) out.add(formatJsonPath(p));
      walk(x, s.states, p);
    };
    if (Array.isArray(v)) v.forEach((x, i) => each(i, x, { kind: 'index', index: i }));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) each(k, x, { kind: 'child', name: k });
  };
  walk(doc, initialStates(1), []);
  return out;
}

/** The compare compiler as the diff drives it: the rule tree's member and element nodes. */
function compareSelects(doc: unknown, path: string): Set<Loc> {
  const rules = new CompiledRules(compareConfig({ pathSyntax: 'rfc9535', scores: [path] }));
  const out = new Set<Loc>();
  const walk = (v: unknown, node: PathNode, at: Segment[]) => {
    const each = (child: PathNode, x: unknown, seg: Segment) => {
      const p = [...at, seg];
      if (child.rule.score) out.add(formatJsonPath(p));
      walk(x, child, p);
    };
    if (Array.isArray(v)) v.forEach((x, i) => each(node.element(i), x, { kind: 'index', index: i }));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) each(node.member(k), x, { kind: 'child', name: k });
  };
  walk(doc, rules.root, []);
  return out;
}

describe('property: the anonymizer matcher and the compare compiler select the same locations', () => {
  const leaf = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('x', 'y'), fc.constant(null));
  const { doc } = fc.letrec((tie) => ({
    doc: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('arr'), tie('obj')),
    arr: fc.array(tie('doc'), { maxLength: 3 }),
    obj: fc.dictionary(fc.constantFrom(...KEYS), tie('doc'), { maxKeys: 3 }),
  }));
  const segment: fc.Arbitrary<Segment> = fc.oneof(
    fc.constantFrom(...KEYS).map((name) => ({ kind: 'child', name }) as const),
    fc.integer({ min: 0, max: 2 }).map((index) => ({ kind: 'index', index }) as const),
    fc.constant({ kind: 'any' } as const),
    fc.option(fc.constantFrom(...KEYS), { nil: null }).map((name) => ({ kind: 'descendant', name }) as const),
  );
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map(formatJsonPath);

  it('for random documents and random paths of the grammar', () => {
    fc.assert(fc.property(doc, path, (d, p) => {
      expect(compileComparePath(p, { rfc9535: true })).toEqual(parseJsonPath(p));
      const want = reference(d, parseJsonPath(p) as Segment[]);
      expect(anonymizerSelects(d, p)).toEqual(want);
      expect(compareSelects(d, p)).toEqual(want);
    }), { seed: 22, numRuns: 600 });
  });
});
