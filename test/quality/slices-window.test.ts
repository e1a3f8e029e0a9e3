// Slices over the comparer's rolling window (issue 24, docs/slices.md "Over the window"): the live route's
// slice table counts the exchanges of compare.window, bucket by bucket, as the report's verdict and an
// experiment's criteria do — a segment the candidate was worse for 20 minutes ago, and is not any more, is
// no longer flagged; without a window (replay) every exchange counts.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RouteResults } from '../../src/app/route-results.js';
import type { ExchangeDiff } from '../../src/compare/index.js';
import { seededRandom } from '../../src/compare/stats.js';
import { parseConfig } from '../../src/config/load.js';
import { slicesSchema } from '../../src/config/schema/slices.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { SliceBook } from '../../src/quality/slices.js';

const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'IN'];
const MIN = 60_000;

function diff(inc: string, cand: string): ExchangeDiff {
  return {
    calls: [{ role: 'incumbent', status: 200, latencyMs: 20 }, { role: 'candidate', status: 200, latencyMs: 20 }],
    state: 'compared', fields: inc !== cand ? [['$.label', 'value']] : [], noise: undefined,
    labels: [inc, cand], scoreDeltas: [], similarities: [], overlaps: [], sample: undefined,
  };
}

/** `n` exchanges spread over [fromMs, fromMs + spanMs): FR's candidate flips `flip` of its labels. */
function feed(book: SliceBook, seed: number, n: number, fromMs: number, spanMs: number, flip: number): void {
  const r = seededRandom(seed);
  for (let i = 0; i < n; i++) {
    const country = COUNTRIES[Math.floor(r() * COUNTRIES.length)]!;
    const label = r() < 0.3 ? 'fraud' : 'ok';
    const cand = country === 'FR' && r() < flip ? (label === 'ok' ? 'fraud' : 'ok') : label;
    book.record([country], diff(label, cand), fromMs + Math.floor((i * spanMs) / n));
  }
}

const flaggedValues = (book: SliceBook, nowMs: number) => book.report(nowMs).flagged.map((f) => `${f.value}/${f.metric}`);

describe('slices over the rolling window', () => {
  const cfg = slicesSchema.parse({ paths: [{ path: '$.features.country', topK: 5 }] });

  it('a segment worse 20 minutes ago, and no longer, is not flagged any more (15-minute window); since start it still would be', () => {
    const t0 = Date.UTC(2026, 11, 8, 12, 0);
    const windowed = new SliceBook(cfg, { lengthMs: 15 * MIN, bucketMs: MIN });
    const sinceStart = new SliceBook(cfg);
    for (const book of [windowed, sinceStart]) feed(book, 1, 6000, t0, 5 * MIN, 0.3);
    expect(flaggedValues(windowed, t0 + 5 * MIN)).toEqual(['FR/disagreement']);
    expect(flaggedValues(sinceStart, t0 + 5 * MIN)).toEqual(['FR/disagreement']);

    // 20 minutes later the candidate answers FR as the incumbent does.
    for (const book of [windowed, sinceStart]) feed(book, 2, 6000, t0 + 20 * MIN, 5 * MIN, 0);
    const now = t0 + 25 * MIN;
    expect(flaggedValues(windowed, now)).toEqual([]);
    expect(windowed.report(now).paths[0]!.exchanges).toBe(6000);
    expect(windowed.report(now).window).toEqual({ lengthMs: 15 * MIN, bucketMs: MIN });
    // Counted since start the old exchanges still outweigh: FR stays flagged (what the table did before).
    expect(flaggedValues(sinceStart, now)).toEqual(['FR/disagreement']);
    expect(sinceStart.report(now).paths[0]!.exchanges).toBe(12000);
    // The fleet's evidence carries the window's table too.
    expect(windowed.snapshot(now).paths[0]!.total[0]).toBe(6000);
  });

  it('counts the exchanges of the window only, bucket by bucket, as the window slides', () => {
    const t0 = Date.UTC(2026, 11, 8, 12, 0);
    const book = new SliceBook(cfg, { lengthMs: 3 * MIN, bucketMs: MIN });
    for (let m = 0; m < 5; m++) feed(book, 10 + m, 100, t0 + m * MIN, MIN, 0);
    // At 4:30 the window holds minutes 2, 3 and 4.
    expect(book.report(t0 + 4.5 * MIN).paths[0]!.exchanges).toBe(300);
    expect(book.report(t0 + 5.5 * MIN).paths[0]!.exchanges).toBe(200);
    expect(book.report(t0 + 60 * MIN).paths[0]!.exchanges).toBe(0);
  });

  it('the live route\'s results count over compare.window', () => {
    const config = parseConfig(JSON.stringify({
      upstreams: { a: { url: 'http://127.0.0.1:9' }, b: { url: 'http://127.0.0.1:9' } },
      anonymize: { key: 'k'.repeat(32), policies: { p: {} } },
      routes: [{ name: 'r', primary: 'a', shadow: { targets: ['a', 'b'], policy: 'p', compare: { label: '$.label', window: { length: '10m', bucket: '30s' }, slices: { paths: [{ path: '$.features.country' }] } } } }],
    }));
    const results = new RouteResults(config.routes[0]!, undefined, { metrics: createMetrics(new Registry(), { defaults: false }), writer: () => undefined });
    for (let i = 0; i < 50; i++) results.record({ id: i, threadId: 1, replacements: [], calls: [], diff: diff('ok', 'ok'), slices: [COUNTRIES[i % 5]!] });
    expect(results.sliceReport()).toMatchObject({ window: { lengthMs: 10 * MIN, bucketMs: 30_000 }, paths: [{ exchanges: 50 }] });
    expect(results.sliceReport(Date.now() + 11 * MIN)!.paths[0]!.exchanges).toBe(0);
  });
});
