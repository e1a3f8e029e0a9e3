// The comparison's fast path (issue 23, "a cheap copy"): byte-identical answers are compared without a
// parse, or with one parse shared by both when a rule measures something or a label is read — and the
// verdict is exactly the slow path's (the same answers written with other whitespace, which must be parsed).
// Answers that differ only in ignored fields still take the parse. The dataset guard reads the same trees.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledRules, ParsedAnswers, RouteComparer, diffExchange } from '../../src/compare/index.js';
import { createAnonymizer } from '../../src/anonymize/index.js';
import { anonymizeSchema } from '../../src/config/schema/anonymize.js';
import { answer, compareConfig, exchange } from './helpers.js';

const RULE_SETS: Record<string, Record<string, unknown>> = {
  none: {},
  ignore: { ignore: ['$.request_id', '$.items[*].debug'] },
  label: { label: '$.label', ignore: ['$.request_id'] },
  measuring: { label: '$.label', scores: ['$.score', '$.items[*].score'], topK: { '$.top': 3 }, text: { '$.text': { minSimilarity: 0.8 } }, unordered: ['$.tags'], tolerance: { '$.items[*].score': { abs: 1e-3 } } },
  measuringOnly: { scores: ['$.score'] },
};

const item = fc.record({ id: fc.string({ maxLength: 6 }), score: fc.double({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), debug: fc.string({ maxLength: 4 }) });
const doc = fc.record({
  request_id: fc.string({ maxLength: 8 }),
  label: fc.oneof(fc.constantFrom('approve', 'review'), fc.integer(), fc.constant(null)),
  score: fc.double({ noNaN: true, noDefaultInfinity: true }),
  items: fc.array(item, { maxLength: 4 }),
  top: fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 5 }),
  tags: fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 4 }),
  text: fc.string({ maxLength: 20 }),
  extra: fc.jsonValue({ maxDepth: 2 }),
}, { requiredKeys: ['label'] });

/** What a diff decides (its calls carry only status and latency, the same on both sides here). */
function verdict(d: ReturnType<typeof diffExchange>) {
  return { state: d.state, fields: d.fields, noise: d.noise, labels: d.labels, scoreDeltas: d.scoreDeltas, similarities: d.similarities, overlaps: d.overlaps, sample: d.sample };
}

describe('the comparison fast path', () => {
  it('gives byte-identical answers the verdict the parsed slow path gives (fast-check, every rule set)', () => {
    fc.assert(fc.property(doc, fc.constantFrom(...Object.keys(RULE_SETS)), fc.boolean(), (body, ruleSet, withBaseline) => {
      const rules = new CompiledRules(compareConfig(RULE_SETS[ruleSet]));
      const text = JSON.stringify(body);
      // Fast: the same bytes on both sides. Slow: the candidate (and baseline) re-indented, so their bytes differ
      // but their JSON is the same.
      const fast = exchange({ incumbent: answer('incumbent', body, { raw: text }), candidate: answer('candidate', body, { raw: text }), ...(withBaseline ? { baseline: answer('baseline', body, { raw: text }) } : {}) });
      const pretty = JSON.stringify(body, null, 2);
      const slow = exchange({ incumbent: answer('incumbent', body, { raw: text }), candidate: answer('candidate', body, { raw: pretty }), ...(withBaseline ? { baseline: answer('baseline', body, { raw: pretty }) } : {}) });
      const parsedFast = new ParsedAnswers();
      const parsedSlow = new ParsedAnswers();
      const a = diffExchange(fast, rules, { maxSampleBytes: 4096, parsed: parsedFast });
      const b = diffExchange(slow, rules, { maxSampleBytes: 4096, parsed: parsedSlow });
      expect(verdict(a)).toEqual(verdict(b));
      expect(a.fields).toEqual([]);
      // No parse at all unless a label is read or a rule measures; then one for both answers.
      expect(parsedFast.parses).toBe(rules.labelPath !== undefined || rules.measures ? 1 : 0);
      expect(parsedSlow.parses).toBe(withBaseline ? 3 : 2);
    }), { numRuns: 400 });
  });

  it('answers that differ only in ignored fields still take the parse and compare equal', () => {
    const rules = new CompiledRules(compareConfig(RULE_SETS.ignore));
    const parsed = new ParsedAnswers();
    const inc = { request_id: 'r-1', label: 'approve', items: [{ id: 'a', score: 1, debug: 'x' }] };
    const cand = { request_id: 'r-2', label: 'approve', items: [{ id: 'a', score: 1, debug: 'y' }] };
    const d = diffExchange(exchange({ incumbent: answer('incumbent', inc), candidate: answer('candidate', cand) }), rules, { maxSampleBytes: 4096, parsed });
    expect(d.fields).toEqual([]);
    expect(parsed.parses).toBe(2);
    // …while a difference outside the ignore rules is found.
    const other = diffExchange(exchange({ incumbent: answer('incumbent', inc), candidate: answer('candidate', { ...cand, label: 'review' }) }), rules, { maxSampleBytes: 4096 });
    expect(other.fields).toEqual([['$.label', 'value']]);
  });

  it('identical bytes under another status or media type are not the fast path', () => {
    const rules = new CompiledRules(compareConfig());
    const body = { label: 'approve' };
    const status = diffExchange(exchange({ incumbent: answer('incumbent', body), candidate: answer('candidate', body, { status: 404 }) }), rules, { maxSampleBytes: 4096 });
    expect(status.fields).toEqual([['status', 'value']]);
    const type = diffExchange(exchange({ incumbent: answer('incumbent', body), candidate: answer('candidate', body, { contentType: 'text/plain' }) }), rules, { maxSampleBytes: 4096 });
    expect(type.fields).toEqual([['content-type', 'value']]);
    const notJson = diffExchange(exchange({ incumbent: answer('incumbent', undefined, { raw: 'ok', contentType: 'text/plain' }), candidate: answer('candidate', undefined, { raw: 'ok', contentType: 'text/plain' }) }), rules, { maxSampleBytes: 4096 });
    expect(notJson.fields).toEqual([]);
  });

  it('a comparer tallies the fast path exactly as the slow path (matches, labels, score deltas)', () => {
    const cfg = compareConfig(RULE_SETS.measuring);
    const fast = new RouteComparer('r', cfg, { seed: 3 });
    const slow = new RouteComparer('r', cfg, { seed: 3 });
    for (let i = 0; i < 50; i++) {
      const body = { label: i % 2 === 0 ? 'approve' : 'review', score: i / 50, items: [{ id: 'a', score: 0.5 }], top: ['a', 'b'], tags: ['x'], text: 'hello' };
      const text = JSON.stringify(body);
      fast.record(exchange({ incumbent: answer('incumbent', body, { raw: text }), candidate: answer('candidate', body, { raw: text }) }), 1000 + i);
      slow.record(exchange({ incumbent: answer('incumbent', body, { raw: text }), candidate: answer('candidate', body, { raw: ` ${text}\n` }) }), 1000 + i);
    }
    expect(fast.report(2000)).toEqual(slow.report(2000));
  });
});

describe('the dataset guard reads the parse the diff made', () => {
  const cfg = anonymizeSchema.parse({ key: 'test-key-0123456789abcdefghijklmnopqrstuvwxyz', policies: { p: { unknown: 'scan' } } });
  const policy = createAnonymizer(cfg, ['p']).policy('p')!;

  it('finds the same leaks with the shared tree as when it parses the text itself', () => {
    const answers = [
      { label: 'approve', echo: 'mail ada@example.org' },
      { items: [{ card: 4111111111111111 }, { phone: '+44 7700 900123' }] },
      { ok: true, n: [1, 2, 3] },
      [{ name: 'Dr. Grace Hopper said hello' }],
    ];
    for (const a of answers) {
      const text = JSON.stringify(a);
      const parsed = new ParsedAnswers();
      const r = answer('candidate', undefined, { raw: text });
      const tree = parsed.of(r);
      expect(policy.findLeaks(text, tree)).toEqual(policy.findLeaks(text));
    }
    expect(policy.findLeaks('{"e":"ada@example.org"}', { e: 'ada@example.org' })).toEqual(['email']);
  });
});
