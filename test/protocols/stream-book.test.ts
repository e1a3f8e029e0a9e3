import { describe, expect, it } from 'vitest';
import { compareSchema } from '../../src/config/schema/compare.js';
import { StreamTimeline, assembleStream } from '../../src/compare/stream.js';
import { StreamBook, observeStreams } from '../../src/compare/stream-book.js';
import { seededRandom } from '../../src/compare/stats.js';

/** A streamed chat answer whose first token comes at `ttft` ms and the next ones every `gap` ms (jittered). */
function stream(words: readonly string[], ttft: number, gap: number, random: () => number, finish = 'stop') {
  const t = new StreamTimeline();
  const parts: Buffer[] = [];
  let at = ttft;
  for (const w of words) {
    const b = Buffer.from(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`);
    parts.push(b);
    t.mark(b.length, at * (0.9 + 0.2 * random()));
    at += gap;
  }
  const end = Buffer.from(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: finish }] })}\n\ndata: [DONE]\n\n`);
  parts.push(end);
  t.mark(end.length, at);
  return assembleStream('sse', Buffer.concat(parts), t);
}

describe('StreamBook', () => {
  const cfg = compareSchema.parse({ verdict: { minObservations: 30 } });

  it('finds the candidate faster to first token and slower per token, with the same tests as call latency', () => {
    const random = seededRandom(7);
    const book = new StreamBook(cfg, 1);
    const words = ['The ', 'answer ', 'is ', 'forty ', 'two.'];
    for (let i = 0; i < 60; i++) book.record(observeStreams(stream(words, 100, 10, random), stream(['It ', 'is ', '42.'], 40, 25, random, i % 10 === 0 ? 'length' : 'stop')));
    const r = book.report();
    expect(r.incumbent.streams).toBe(60);
    expect(r.incumbent.timeToFirstToken.count).toBe(60);
    expect(r.incumbent.interTokenLatency.count).toBe(60 * 4);
    expect(r.candidate.interTokenLatency.count).toBe(60 * 2);
    expect(r.comparison.timeToFirstToken.verdict).toBe('faster');
    expect(r.comparison.interTokenLatency.verdict).toBe('slower');
    expect(r.comparison.tokensPerSecond.verdict).toBe('slower');
    expect(r.candidate.tokensPerSecond.p50).toBeLessThan(r.incumbent.tokensPerSecond.p50);
    expect(r.finishReason).toMatchObject({ compared: 60, agreement: 0.9 });
    expect(r.similarity.compared).toBe(60);
    expect(r.similarity.belowThreshold).toBe(60);
    expect(r.similarity.mean!).toBeLessThan(0.8);
  });

  it('says insufficient data below minObservations and counts unfinished streams', () => {
    const book = new StreamBook(cfg);
    const cut = assembleStream('sse', Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n'));
    book.record(observeStreams(cut, undefined));
    const r = book.report();
    expect(r.incumbent).toMatchObject({ streams: 1, unfinished: 1 });
    expect(r.candidate.streams).toBe(0);
    expect(r.finishReason.compared).toBe(0);
    expect(r.comparison.timeToFirstToken.verdict).toBe('insufficient data');
  });
});
