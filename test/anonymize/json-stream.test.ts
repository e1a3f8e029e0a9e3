// The JSON fast path (json-stream.ts) against the tree walker (json-body.ts): on random documents with
// rules, wildcards, keep subtrees, planted values and escapes, both give the same document, replacement
// counts and leaks; invalid JSON is refused so the caller can fall back.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BoundedSet } from '../../src/kernel/bounded-map.js';
import { anonymizeJson, type FieldRules } from '../../src/anonymize/json-body.js';
import { parseJsonPath, type Segment } from '../../src/kernel/json-path.js';
import { rewriteJson } from '../../src/anonymize/json-stream.js';
import { KeyedHash } from '../../src/anonymize/keyed.js';
import { compileRule } from '../../src/anonymize/rules.js';
import { Run, type EngineContext } from '../../src/anonymize/run.js';
import { TEST_KEY } from './helpers.js';

const ctx = (): EngineContext => ({
  hash: new KeyedHash(Buffer.from(TEST_KEY), 1000), maxScanBytes: 4096, recent: new BoundedSet(1000),
  clean: new BoundedSet(1000), cleanStructured: new BoundedSet(1000), outputs: new Map(), memoSize: 1000,
});

function fields(spec: Record<string, string>, unknown: FieldRules['unknown']): FieldRules {
  const paths: Segment[][] = [];
  const rules = Object.entries(spec).map(([path, t], i) => {
    paths.push(parseJsonPath(path) as Segment[]);
    return compileRule(t as never, undefined, i);
  });
  return { paths, rules, unknown };
}

const RULES = fields({ '$.user.email': 'email', '$.items[*].name': 'name', '$..phone': 'phone', '$.meta': 'keep', '$.ids': 'pseudonym', '$.note': 'text' }, 'scan');
const KEYS = ['user', 'email', 'items', 'name', 'phone', 'meta', 'ids', 'note', 'city', 'merchant', 'alpha', 'amount', 'first_name', 'ip', 'tags', 'bob@acme.io'];
const LEAVES = ['Mateo Santos', 'jane.doe@acme.io', '+44 7700 900123', '4111 1111 1111 1111', 'Valencia', 'Urban Threads', 'ok', '',
  'tab\there "quoted" \\ back', 'caf\u00e9 \u2028 line', 'please call Sara Schwarz today', '203.0.113.7', 'DE89370400440532013000'];

const { doc: arbDoc } = fc.letrec((tie) => ({
  doc: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 5 }),
  node: fc.oneof({ depthSize: 'small' },
    fc.constantFrom(...LEAVES), fc.integer({ min: -1_000_000, max: 10_000_000_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(), fc.constant(null), fc.array(tie('node'), { maxLength: 4 }), tie('doc')),
}));

function both(f: FieldRules, text: string) {
  const c = ctx();
  const tree = new Run(c);
  const treeOut = JSON.stringify(anonymizeJson(tree, f, JSON.parse(text)));
  const fast = new Run(c);
  const fastOut = rewriteJson(fast, f, text);
  return { tree, treeOut, fast, fastOut };
}

describe('JSON fast path', () => {
  test('gives the tree walker\'s document, counts and leaks (scan and keep, compact and indented)', () => {
    fc.assert(fc.property(arbDoc, fc.constantFrom<FieldRules['unknown']>('scan', 'keep'), fc.boolean(), (doc, unknown, indent) => {
      const f = unknown === 'scan' ? RULES : { ...RULES, unknown };
      const text = JSON.stringify(doc, null, indent ? 2 : undefined);
      const { tree, treeOut, fast, fastOut } = both(f, text);
      expect(fastOut).toBeDefined();
      expect(JSON.parse(fastOut!)).toEqual(JSON.parse(treeOut));
      expect(Object.fromEntries(fast.counts)).toEqual(Object.fromEntries(tree.counts));
      expect([...fast.leaks].sort()).toEqual([...tree.leaks].sort());
    }), { seed: 20261127, numRuns: 400 });
  });

  test('untouched values keep their exact bytes; nothing changed returns the same text', () => {
    const text = '{ "amount": 1.50, "n": -0, "big": 1e400, "ok": true, "s": "caf\\u00e9" }';
    expect(both(RULES, text).fastOut).toBe(text);
    const out = both(RULES, '{"user": {"email": "jane.doe@acme.io"}, "x": 1.50}').fastOut!;
    expect(out).toMatch(/^\{"user": \{"email": "[a-z2-7]{10}@[a-z2-7]{8}\.io"\}, "x": 1\.50\}$/);
  });

  test('refuses what JSON.parse refuses, and very deep documents', () => {
    const bad = ['', '{', '{"a":}', '{"a":1,}', '[1,]', '01', '1.', '-', '.5', '1e', '"a\u0001"', '"\\x"', 'nul', '{"a":1} x', '{a:1}', "{'a':1}", '\ufeff{}'];
    for (const t of bad) {
      expect(() => JSON.parse(t)).toThrow();
      expect(rewriteJson(new Run(ctx()), RULES, t)).toBeUndefined();
    }
    expect(rewriteJson(new Run(ctx()), RULES, `${'['.repeat(600)}${']'.repeat(600)}`)).toBeUndefined();
  });

  test('policies that drop fields give the tree walker\'s document (members cut, array elements null)', () => {
    const dropping = fields({ '$.user.email': 'email', '$.meta': 'drop', '$..phone': 'drop', '$.items[*].name': 'name' }, 'scan');
    fc.assert(fc.property(arbDoc, fc.constantFrom<FieldRules['unknown']>('scan', 'drop'), fc.boolean(), (doc, unknown, indent) => {
      const f = { ...dropping, unknown };
      const text = JSON.stringify(doc, null, indent ? 2 : undefined);
      const { tree, treeOut, fast, fastOut } = both(f, text);
      expect(fastOut).toBeDefined();
      expect(JSON.parse(fastOut!)).toEqual(JSON.parse(treeOut));
      expect(Object.fromEntries(fast.counts)).toEqual(Object.fromEntries(tree.counts));
    }), { seed: 20261201, numRuns: 300 });
  });
});
