// The comparer split for shadow threads: diffExchange (pure, where the bodies are) returns plain data
// that survives a thread crossing, and recordDiff of that data tallies exactly what record() does.
import { describe, expect, it } from 'vitest';
import { CompiledRules, RouteComparer, SampleGate, diffExchange } from '../../src/compare/index.js';
import { answer, compareConfig, exchange, failure } from './helpers.js';

const cfg = compareConfig({ label: '$.label', tolerance: { '$.score': { abs: 0.01 } }, text: { '$.text': { minSimilarity: 0.9 } }, topK: { '$.top': 2 }, samplesPerField: 2 });

function exchanges(): ReturnType<typeof exchange>[] {
  const out: ReturnType<typeof exchange>[] = [];
  for (let i = 0; i < 60; i++) {
    const inc = { label: 'a', score: 0.5, text: 'the quick brown fox', top: [1, 2, 3], at: i };
    const cand = { label: i % 3 === 0 ? 'b' : 'a', score: 0.5 + (i % 5) / 100, text: i % 4 === 0 ? 'a slow red dog' : 'the quick brown fox', top: [1, 3, 2], at: i };
    const base = { ...inc, at: i + 1 };
    if (i % 11 === 0) out.push(exchange({ incumbent: answer('incumbent', inc), candidate: failure('candidate') }, i, { i }));
    else if (i % 13 === 0) out.push(exchange({ incumbent: answer('incumbent', inc) }, i, { i }));
    else out.push(exchange({ incumbent: answer('incumbent', inc, { latencyMs: 1 + i }), candidate: answer('candidate', cand, { latencyMs: 2 + i }), baseline: answer('baseline', base) }, i, { i }));
  }
  return out;
}

describe('diffExchange + recordDiff', () => {
  it('tallies across a structured clone exactly what record() tallies in place', () => {
    const inPlace = new RouteComparer('r', cfg, { hasBaseline: true, seed: 7 });
    const split = new RouteComparer('r', cfg, { hasBaseline: true, seed: 7 });
    const rules = new CompiledRules(cfg);
    const gate = new SampleGate(cfg.samplesPerField);
    const outcomes: unknown[][] = [[], []];
    for (const ex of exchanges()) {
      outcomes[0]!.push(inPlace.record(ex, 1000));
      // The thread's copy of the rules and gate, a structuredClone for the crossing.
      const d = structuredClone(diffExchange(ex, rules, { gate, maxSampleBytes: cfg.maxSampleBytes }));
      outcomes[1]!.push(split.recordDiff(d, 1000));
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[0]!.filter((o) => (o as { result: string }).result === 'mismatch').length).toBeGreaterThan(10);
    expect(split.report(2000)).toEqual(inPlace.report(2000));
    expect(split.samples()).toEqual(inPlace.samples());
    expect(Object.keys(split.samples().fields).length).toBeGreaterThan(0);
  });

  it('builds a sample only when a field ring takes it', () => {
    const rules = new CompiledRules(cfg);
    const gate = new SampleGate(2);
    const built = exchanges().filter((ex) => ex.responses.candidate?.status === 200).map((ex) => diffExchange(ex, rules, { gate, maxSampleBytes: 300 }).sample);
    const withSample = built.filter((s) => s !== undefined);
    expect(withSample.length).toBeGreaterThan(0);
    expect(withSample.length).toBeLessThan(built.length / 2);
    for (const s of withSample) expect(s.sample.request.body.length + s.sample.incumbent.body.length + s.sample.other.body.length).toBeLessThanOrEqual(300);
  });
});
