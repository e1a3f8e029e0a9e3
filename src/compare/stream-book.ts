// The streaming part of a route's report: per target the time to first token, inter-token latency and
// tokens/s as HDR histograms plus bounded reservoirs, compared with the same tests as call latency
// (Mann-Whitney U, Hodges-Lehmann ratio); and per exchange finish_reason agreement and text similarity.
import type * as hdr from 'hdr-histogram-js';
import type { CompareConfig } from '../config/schema.js';
import { compareLatency, summarizeHistogram, type LatencyComparison, type LatencySummary } from './report.js';
import { Reservoir, seededRandom, wilsonInterval, type Interval } from './stats.js';
import { newHistogram, recordLatency } from './tally.js';
import type { StreamObservation, StreamSide } from './stream-observe.js';

export { observeStreams, type StreamObservation, type StreamSide } from './stream-observe.js';

/** The similarity threshold when the route's rules name none for the assembled content. */
const DEFAULT_MIN_SIMILARITY = 0.8;
const CONTENT_PATH = '$.choices[*].message.content';

interface Track { readonly hist: hdr.Histogram; readonly sample: Reservoir }

interface RoleStreams {
  streams: number;
  unfinished: number;
  truncated: number;
  readonly ttft: Track;
  readonly itl: Track;
  /** Tokens/s are kept as if they were milliseconds (the histogram's unit is 1/1000 of the value). */
  readonly tps: Track;
}

export interface ThroughputSummary {
  readonly count: number;
  readonly p50: number;
  readonly p10: number;
  readonly mean: number;
}

export interface StreamRoleReport {
  readonly streams: number;
  /** Streams that ended without [DONE] or a finish reason (cut, or timed out). */
  readonly unfinished: number;
  readonly truncated: number;
  readonly timeToFirstToken: LatencySummary;
  readonly interTokenLatency: LatencySummary;
  readonly tokensPerSecond: ThroughputSummary;
}

export interface StreamReport {
  readonly incumbent: StreamRoleReport;
  readonly candidate: StreamRoleReport;
  readonly finishReason: { readonly compared: number; readonly agreement: number | null; readonly interval: Interval | null };
  readonly similarity: { readonly compared: number; readonly mean: number | null; readonly minSimilarity: number; readonly belowThreshold: number };
  /** Candidate against incumbent; a latency verdict (slower / faster / same / insufficient data). */
  readonly comparison: {
    readonly timeToFirstToken: LatencyComparison;
    readonly interTokenLatency: LatencyComparison;
    /** Verdict from the generation speed's point of view: `faster` means more tokens per second. */
    readonly tokensPerSecond: LatencyComparison;
  };
}

function round(x: number, digits = 6): number {
  return Number(x.toPrecision(digits));
}

export class StreamBook {
  private readonly roles: { incumbent: RoleStreams; candidate: RoleStreams };
  private finishCompared = 0;
  private finishAgreed = 0;
  private similarityN = 0;
  private similaritySum = 0;
  private below = 0;
  private readonly minSimilarity: number;

  constructor(private readonly cfg: Readonly<CompareConfig>, seed = 1) {
    const random = seededRandom(seed);
    const track = (): Track => ({ hist: newHistogram(false), sample: new Reservoir(cfg.reservoirSize, random) });
    const role = (): RoleStreams => ({ streams: 0, unfinished: 0, truncated: 0, ttft: track(), itl: track(), tps: track() });
    this.roles = { incumbent: role(), candidate: role() };
    this.minSimilarity = cfg.text[CONTENT_PATH]?.minSimilarity ?? DEFAULT_MIN_SIMILARITY;
  }

  get observations(): number {
    return this.roles.incumbent.streams + this.roles.candidate.streams;
  }

  /** One shadow exchange's streams (a side is absent when it failed or did not stream). */
  record(o: StreamObservation): void {
    if (o.incumbent) this.recordRole(this.roles.incumbent, o.incumbent);
    if (o.candidate) this.recordRole(this.roles.candidate, o.candidate);
    if (o.finishAgree !== null) {
      this.finishCompared++;
      if (o.finishAgree) this.finishAgreed++;
    }
    if (o.similarity !== null) {
      this.similarityN++;
      this.similaritySum += o.similarity;
      if (o.similarity < this.minSimilarity) this.below++;
    }
  }

  private recordRole(r: RoleStreams, s: StreamSide): void {
    r.streams++;
    if (!s.finished) r.unfinished++;
    if (s.truncated) r.truncated++;
    if (s.ttftMs !== null) offer(r.ttft, s.ttftMs);
    for (const gap of s.interTokenMs) offer(r.itl, gap);
    if (s.tokensPerSecond !== null) offer(r.tps, s.tokensPerSecond);
  }

  report(): StreamReport {
    const { incumbent: inc, candidate: cand } = this.roles;
    const compare = (a: Track, b: Track) => compareLatency(a.sample.values(), b.sample.values(), a.hist, b.hist, this.cfg);
    const tps = compare(inc.tps, cand.tps);
    const flipped = tps.verdict === 'slower' ? 'faster' : tps.verdict === 'faster' ? 'slower' : tps.verdict;
    return {
      incumbent: roleReport(inc),
      candidate: roleReport(cand),
      finishReason: {
        compared: this.finishCompared,
        agreement: this.finishCompared > 0 ? round(this.finishAgreed / this.finishCompared) : null,
        interval: wilsonInterval(this.finishAgreed, this.finishCompared),
      },
      similarity: {
        compared: this.similarityN,
        mean: this.similarityN > 0 ? round(this.similaritySum / this.similarityN) : null,
        minSimilarity: this.minSimilarity,
        belowThreshold: this.below,
      },
      comparison: {
        timeToFirstToken: compare(inc.ttft, cand.ttft),
        interTokenLatency: compare(inc.itl, cand.itl),
        tokensPerSecond: { ...tps, verdict: flipped },
      },
    };
  }
}

function offer(t: Track, value: number): void {
  recordLatency(t.hist, value);
  t.sample.offer(value);
}

function roleReport(r: RoleStreams): StreamRoleReport {
  const h = r.tps.hist;
  const v = (us: number) => round(us / 1000, 5);
  return {
    streams: r.streams,
    unfinished: r.unfinished,
    truncated: r.truncated,
    timeToFirstToken: summarizeHistogram(r.ttft.hist),
    interTokenLatency: summarizeHistogram(r.itl.hist),
    tokensPerSecond: h.totalCount === 0
      ? { count: 0, p50: 0, p10: 0, mean: 0 }
      : { count: h.totalCount, p50: v(h.getValueAtPercentile(50)), p10: v(h.getValueAtPercentile(10)), mean: v(h.mean) },
  };
}
