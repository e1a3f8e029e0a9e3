// The response diff: typed differences at normalized paths, and what ignore, tolerance, unordered,
// text, topK and the protocol presets change about them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DiffResult, diffJson, diffResponses, overlapAtK, parseBody } from '../../src/compare/diff.js';
import { compilePattern } from '../../src/compare/paths.js';
import { CompiledRules, effectiveRules } from '../../src/compare/rules.js';
import { compareSchema } from '../../src/config/schema/compare.js';
import { ShadowgateError } from '../../src/errors.js';
import { answer, compareConfig } from './helpers.js';

function diff(a: unknown, b: unknown, rules: Record<string, unknown> = {}): DiffResult {
  const out = new DiffResult();
  diffJson(a, b, new CompiledRules(compareConfig(rules)), out);
  return out;
}

const fieldsOf = (r: DiffResult) => Object.fromEntries(r.fields());

describe('typed differences', () => {
  it('names value, type, missing, extra and length differences at normalized paths', () => {
    const r = diff(
      { a: 1, b: 'x', c: [1, 2], d: { e: true }, gone: 1, items: [{ score: 0.1 }, { score: 0.2 }] },
      { a: 2, b: 5, c: [1, 2, 3], d: { e: true }, extra: null, items: [{ score: 0.1 }, { score: 0.3 }] },
    );
    expect(fieldsOf(r)).toEqual({
      '$.a': 'value', '$.b': 'type', '$.c': 'length', '$.gone': 'missing', '$.extra': 'extra', '$.items[*].score': 'value',
    });
  });

  it('reports a reordered list as one order difference, not one per element', () => {
    expect(fieldsOf(diff({ l: [1, 2, 3] }, { l: [3, 2, 1] }))).toEqual({ '$.l': 'order' });
  });

  it('quotes member names that are not identifiers', () => {
    expect([...diff({ 'a b': 1 }, { 'a b': 2 }).fields().keys()]).toEqual(['$["a b"]']);
  });

  it('finds nothing in equal documents whatever their key order', () => {
    expect(diff({ a: 1, b: [{ x: 1, y: 2 }] }, { b: [{ y: 2, x: 1 }], a: 1 }).differences).toEqual([]);
  });
});

describe('rules', () => {
  it('ignore drops a path and everything below it, with globs', () => {
    const r = diff({ id: 1, usage: { tokens: 3 }, meta: { a: 1, b: 2 }, keep: 1 }, { id: 2, usage: { tokens: 4 }, meta: { a: 9, b: 9 }, keep: 2 },
      { ignore: ['$.id', '$.usage', '$.meta.*'] });
    expect([...r.fields().keys()]).toEqual(['$.keep']);
  });

  it('tolerance accepts abs or rel closeness and records score deltas', () => {
    const rules = { tolerance: { '$.p[*]': { abs: 0.01 }, '$.big': { rel: 0.01 } }, scores: ['$.p[*]'] };
    const r = diff({ p: [0.5, 0.5], big: 1000 }, { p: [0.505, 0.6], big: 1009 }, rules);
    expect(fieldsOf(r)).toEqual({ '$.p[*]': 'value' });
    expect(r.scoreDeltas.map(([, d]) => Number(d.toFixed(6)))).toEqual([0.005, 0.1]);
    expect(fieldsOf(diff({ big: 1000 }, { big: 1011 }, rules))).toEqual({ '$.big': 'value' });
  });

  it('unordered compares arrays as multisets', () => {
    const rules = { unordered: ['$.tags'] };
    expect(diff({ tags: ['a', 'b', 'b'] }, { tags: ['b', 'a', 'b'] }, rules).differences).toEqual([]);
    expect(fieldsOf(diff({ tags: ['a', 'b', 'b'] }, { tags: ['b', 'a', 'a'] }, rules))).toEqual({ '$.tags': 'value' });
    expect(fieldsOf(diff({ tags: ['a'] }, { tags: ['a', 'a'] }, rules))).toEqual({ '$.tags': 'length' });
  });

  it('text paths compare by similarity and record it', () => {
    const rules = { text: { '$.msg': { minSimilarity: 0.8 } } };
    const close = diff({ msg: 'The answer is 42.' }, { msg: 'the answer is 42' }, rules);
    expect(close.differences).toEqual([]);
    expect(close.similarities[0]![1]).toBeGreaterThan(0.9);
    expect(fieldsOf(diff({ msg: 'yes' }, { msg: 'no, never' }, rules))).toEqual({ '$.msg': 'text' });
  });

  it('topK records overlap@k of ranked lists', () => {
    expect(overlapAtK(['a', 'b', 'c', 'd'], ['b', 'a', 'x', 'd'], 3)).toBeCloseTo(2 / 3, 12);
    expect(overlapAtK([], [], 5)).toBe(1);
    const r = diff({ ranked: [1, 2, 3] }, { ranked: [1, 2, 4] }, { topK: { '$.ranked': 3 } });
    expect(r.overlaps).toEqual([['$.ranked', 2 / 3]]);
  });

  it('rejects a pattern that does not start at the root with a config error', () => {
    expect(() => compilePattern('items[*]')).toThrow(ShadowgateError);
    expect(() => new CompiledRules(compareConfig({ ignore: ['request_id'] }))).toThrow(/SG_ERR_CONFIG|starts with \$/);
  });
});

describe('presets', () => {
  it('openai-chat ignores per-call fields, compares content by similarity and labels finish_reason', () => {
    const base = { id: 'a', created: 1, system_fingerprint: 'x', usage: { total_tokens: 5 }, model: 'm1',
      choices: [{ message: { role: 'assistant', content: 'Paris is the capital of France.' }, finish_reason: 'stop' }] };
    const other = { ...base, id: 'b', created: 2, system_fingerprint: 'y', usage: { total_tokens: 6 }, model: 'm2',
      choices: [{ message: { role: 'assistant', content: 'Paris is the capital of France!' }, finish_reason: 'length' }] };
    expect(fieldsOf(diff(base, other, { preset: 'openai-chat' }))).toEqual({ '$.choices[*].finish_reason': 'value' });
    expect(effectiveRules(compareConfig({ preset: 'openai-chat' })).label).toBe('$.choices[0].finish_reason');
  });

  it('kserve-v2 tolerates tiny tensor differences; a route rule overrides the preset default', () => {
    const a = { model_name: 'm', model_version: '1', outputs: [{ name: 'out', datatype: 'FP32', shape: [2], data: [0.1, 0.2] }] };
    const b = { model_name: 'm', model_version: '2', outputs: [{ name: 'out', datatype: 'FP32', shape: [2], data: [0.10001, 0.2003] }] };
    expect(diff(a, b, { preset: 'kserve-v2' }).differences).toEqual([]);
    const strict = { preset: 'kserve-v2', tolerance: { '$.outputs[*].data..*': { abs: 1e-6 } } };
    expect(fieldsOf(diff(a, b, strict))).toEqual({ '$.outputs[*].data[*]': 'value' });
  });

  it('tf-serving tolerates nested prediction values', () => {
    expect(diff({ predictions: [[0.3, 0.7]] }, { predictions: [[0.30001, 0.69999]] }, { preset: 'tf-serving' }).differences).toEqual([]);
  });
});

describe('responses', () => {
  const rules = new CompiledRules(compareConfig());
  const compare = (a: ReturnType<typeof answer>, b: ReturnType<typeof answer>) => {
    const out = new DiffResult();
    diffResponses(a, parseBody(a), b, parseBody(b), rules, out);
    return fieldsOf(out);
  };

  it('a different status is one status difference (bodies of different statuses do not compare)', () => {
    expect(compare(answer('incumbent', { a: 1 }), answer('candidate', { b: 2 }, { status: 404 }))).toEqual({ status: 'value' });
  });

  it('non-JSON bodies compare by bytes and length; content type counts', () => {
    const text = (raw: string, contentType = 'text/plain') => answer('incumbent', undefined, { raw, contentType });
    expect(compare(text('hello'), text('hello'))).toEqual({});
    expect(compare(text('hello'), text('hellO'))).toEqual({ body: 'value' });
    expect(compare(text('hello'), text('hello!', 'text/html'))).toEqual({ 'content-type': 'value', body: 'length' });
    expect(compare(answer('incumbent', { a: 1 }), text('{"a":1}'))).toEqual({ 'content-type': 'value' });
    expect(compare(answer('incumbent', { a: 1 }), text('not json', 'application/json'))).toEqual({ body: 'type' });
  });
});

describe('properties', () => {
  it('a document never differs from itself or from a copy with its members reordered', () => {
    const rules = new CompiledRules(compareConfig({ unordered: ['$.u'] }));
    const reorder = (v: unknown): unknown => Array.isArray(v) ? v.map(reorder)
      : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reorder(x)])) : v;
    fc.assert(fc.property(fc.jsonValue(), (doc) => {
      const parsed = JSON.parse(JSON.stringify(doc)) as unknown;
      const out = new DiffResult();
      diffJson(parsed, reorder(parsed), rules, out);
      expect(out.differences).toEqual([]);
    }), { seed: 7, numRuns: 300 });
  });
});

describe('configuration', () => {
  it('check-config rejects rule paths that do not start at $ and labels that name no single value, by path', () => {
    const bad = compareSchema.safeParse({ ignore: ['request_id'], label: '$.items[*].x**', tolerance: { score: { abs: 1 } } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['ignore.0', 'label', 'tolerance.score']));
    expect(compareSchema.safeParse({ label: '$.choices[0]["finish reason"]', ignore: ['$.meta.*'] }).success).toBe(true);
  });
});
