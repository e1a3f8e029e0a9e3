// RouteComparer's bookkeeping: results, errors and status matrix, the rolling window versus since
// start, memory bounds (fields, samples), metric labels, primary latency, and the terminal table.
import { describe, expect, it } from 'vitest';
import { RouteComparer, renderReport } from '../../src/compare/index.js';
import { FieldLabelTracker, observeComparison } from '../../src/observe/comparisons.js';
import { MAX_SAMPLED_FIELDS } from '../../src/compare/samples.js';
import { MAX_FIELDS } from '../../src/compare/tally.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { answer, compareConfig, exchange, failure } from './helpers.js';

const MIN = 60_000;

describe('results', () => {
  it('classifies match, mismatch, error and incomplete, and counts error rates and the status matrix', () => {
    const c = new RouteComparer('r', compareConfig());
    expect(c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: answer('candidate', { a: 1 }) }), 0)).toEqual({ result: 'match', fields: [] });
    expect(c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: answer('candidate', { a: 2 }) }), 0)).toEqual({ result: 'mismatch', fields: ['$.a'] });
    expect(c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: failure('candidate') }), 0).result).toBe('error');
    expect(c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: answer('candidate', {}, { status: 503 }) }), 0).result).toBe('error');
    expect(c.record(exchange({ incumbent: answer('incumbent', { a: 1 }) }), 0).result).toBe('incomplete');
    const s = c.report(0).sinceStart;
    expect(s.results).toEqual({ match: 1, mismatch: 1, error: 2, incomplete: 1 });
    expect(s.errors.candidate).toMatchObject({ calls: 4, errors: 2, rate: 0.5 });
    expect(s.errors.incumbent).toMatchObject({ calls: 5, errors: 0 });
    expect(s.statusMismatches).toEqual(expect.arrayContaining([{ incumbent: '200', candidate: '0', count: 1 }, { incumbent: '200', candidate: '503', count: 1 }]));
  });

  it('fails a candidate that errors well above the incumbent', () => {
    const c = new RouteComparer('r', compareConfig());
    for (let i = 0; i < 400; i++) {
      c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: i % 10 === 0 ? failure('candidate') : answer('candidate', { a: 1 }) }), 0);
    }
    const r = c.report(0);
    expect(r.verdict).toBe('fail');
    expect(r.window.reasons.find((x) => x.metric === 'error rate delta')).toMatchObject({ outcome: 'fail', observed: 0.1 });
  });
});

describe('windows', () => {
  it('the rolling window forgets what is older than its length; since start keeps it', () => {
    const c = new RouteComparer('r', compareConfig({ window: { length: '15m', bucket: '1m' } }));
    for (let i = 0; i < 100; i++) c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: answer('candidate', { a: 2 }) }), i * 100);
    for (let i = 0; i < 60; i++) c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: answer('candidate', { a: 1 }) }), 20 * MIN + i * 100);
    const r = c.report(21 * MIN);
    expect(r.sinceStart.exchanges).toBe(160);
    expect(r.window.exchanges).toBe(60);
    expect(r.window.fields).toEqual([]);
    expect(r.window.verdict).toBe('pass');
    expect(r.sinceStart.fields[0]?.path).toBe('$.a');
    expect(r.window.fromMs).toBe(7 * MIN);
  });

  it('ignores late data older than the window for the window but counts it since start', () => {
    const c = new RouteComparer('r', compareConfig());
    c.record(exchange({ incumbent: answer('incumbent', 1), candidate: answer('candidate', 1) }), 60 * MIN);
    c.record(exchange({ incumbent: answer('incumbent', 1), candidate: answer('candidate', 2) }), 0);
    const r = c.report(60 * MIN);
    expect([r.window.exchanges, r.sinceStart.exchanges]).toEqual([1, 2]);
  });
});

describe('bounds', () => {
  it('counts fields beyond MAX_FIELDS as other and keeps samples for at most MAX_SAMPLED_FIELDS, each cut to size', () => {
    const c = new RouteComparer('r', compareConfig({ samplesPerField: 2, maxSampleBytes: 300 }));
    const big = 'x'.repeat(10_000);
    for (let i = 0; i < MAX_FIELDS + 50; i++) {
      c.record(exchange({ incumbent: answer('incumbent', { [`k${i}`]: 1, pad: big }), candidate: answer('candidate', { [`k${i}`]: 2, pad: big }) }, 0, { big }), 0);
    }
    const fields = c.report(0).sinceStart.fields;
    expect(fields.length).toBe(MAX_FIELDS);
    expect(fields.find((f) => f.path === 'other')?.candidateDiffs).toBe(51); // 255 named + other
    const samples = c.samples();
    expect(Object.keys(samples.fields).length).toBe(MAX_SAMPLED_FIELDS);
    const one = samples.fields['$.k0']![0]!;
    expect(one.request.truncated && one.incumbent.truncated && one.other.truncated).toBe(true);
    expect(one.request.body.length + one.incumbent.body.length + one.other.body.length).toBeLessThanOrEqual(300);
  });
});

describe('metrics', () => {
  it('labels configured fields always, admits frequent fields up to topFields, and sends the rest to other', async () => {
    const cfg = compareConfig({ label: '$.prediction', topFields: 1 });
    const metrics = createMetrics(undefined, { defaults: false });
    const tracker = new FieldLabelTracker(cfg);
    const seen = (fields: string[]) => observeComparison(metrics, 'r', { result: 'mismatch', fields }, tracker);
    for (let i = 0; i < 3; i++) seen(['$.prediction', '$.a']);
    seen(['$.b', '$.b']);
    for (let i = 0; i < 5; i++) seen([`$.rare${i}`]);
    const values = (await metrics.fieldMismatches.get()).values.map((v) => [v.labels.field, v.value]);
    expect(Object.fromEntries(values)).toEqual({ '$.prediction': 3, '$.a': 1, other: 9 });
    const results = (await metrics.comparisons.get()).values;
    expect(results).toEqual([expect.objectContaining({ labels: { route: 'r', result: 'mismatch' }, value: 9 })]);
  });
});

describe('primary latency and the terminal table', () => {
  it('reports primary latency per upstream and renders a readable table', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 1; i <= 100; i++) {
      c.recordPrimary('incumbent', i, 200, 0);
      c.recordPrimary('candidate', 2 * i, i <= 5 ? 502 : 200, 0);
    }
    const r = c.report(0);
    // hdr-histogram: 3 significant digits since start (within 0.1%), 2 in the window buckets (within 1%).
    for (const [inc, precision] of [[r.sinceStart.latency.primary.incumbent!, 1e-3], [r.window.latency.primary.incumbent!, 1e-2]] as const) {
      expect(inc.count).toBe(100);
      for (const [got, want] of [[inc.p50Ms, 50], [inc.p99Ms, 99], [inc.maxMs, 100]] as const) expect(Math.abs(got - want) / want).toBeLessThan(precision);
    }
    expect(r.window.latency.primary.candidate?.errors).toMatchObject({ calls: 100, errors: 5 });
    const text = renderReport([r]);
    expect(text).toContain('route predict');
    expect(text).toContain('INSUFFICIENT DATA');
    expect(text).toMatch(/primary incumbent\s+100\s+1\s+50(\.\d+)?\s+90(\.\d+)?\s+99(\.\d+)?\s/);
    expect(text).not.toContain('\x1b[');
    expect(renderReport([r], { color: true })).toContain('\x1b[');
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('samples and guard signals', () => {
  const mismatch = (i: number) => exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: answer('candidate', { a: 2 }) }, i, { i });

  it('keeps the first samples per field, then refreshes the ring every 16th mismatch', () => {
    const c = new RouteComparer('r', compareConfig({ samplesPerField: 2 }));
    for (let i = 0; i < 40; i++) c.record(mismatch(i), 0);
    // Mismatches 1 and 2 (i = 0, 1) fill the ring; the 16th and 32nd (i = 15, 31) replace them in turn.
    expect(c.samples().fields['$.a']!.map((s) => JSON.parse(s.request.body) as { i: number }).map((b) => b.i)).toEqual([15, 31]);
  });

  it('reuses guard signals within a second of the caller clock, and recomputes when the window moves on', () => {
    const c = new RouteComparer('r', compareConfig({ window: { length: '2m', bucket: '1m' } }));
    for (let i = 0; i < 60; i++) c.record(mismatch(i), 1000);
    const first = c.guardSignals(1000);
    expect(first).toEqual({ observations: 60, disagreement: 1, disagreementLow: expect.any(Number), verdict: 'fail', window: expect.any(Object) });
    c.record(mismatch(99), 1500);
    expect(c.guardSignals(1900)).toBe(first);
    expect(c.guardSignals(2100).observations).toBe(61);
    expect(c.guardSignals(5 * MIN)).toEqual({ observations: 0, disagreement: null, disagreementLow: null, verdict: 'insufficient data', window: expect.any(Object) });
  });
});
