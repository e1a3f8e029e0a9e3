// What one exchange's assembled streams tell the stream book: plain data, computed where the streams were
// assembled (a shadow thread), without the book's histograms and reports (docs/memory.md).
import type { AssembledStream } from './stream.js';
import { textSimilarity } from './text.js';

/** One target's streamed answer, as the book needs it (plain data: it crosses from a shadow thread). */
export interface StreamSide {
  readonly finished: boolean;
  readonly truncated: boolean;
  readonly ttftMs: number | null;
  readonly interTokenMs: readonly number[];
  readonly tokensPerSecond: number | null;
}

/** One exchange's streams: each side's timing, and how the two answers agree. */
export interface StreamObservation {
  readonly incumbent?: StreamSide;
  readonly candidate?: StreamSide;
  /** Choice 0's finish reasons agree (null: neither side gave one, or a side is missing). */
  readonly finishAgree: boolean | null;
  /** Choice 0's text similarity (null when a side is missing). */
  readonly similarity: number | null;
}

function side(s: AssembledStream): StreamSide {
  return { finished: s.finished, truncated: s.truncated, ttftMs: s.ttftMs, interTokenMs: s.interTokenMs, tokensPerSecond: s.tokensPerSecond };
}

/** What an exchange's assembled streams tell the book (pure; runs where the streams were assembled). */
export function observeStreams(incumbent: AssembledStream | undefined, candidate: AssembledStream | undefined): StreamObservation {
  const base = { ...(incumbent ? { incumbent: side(incumbent) } : {}), ...(candidate ? { candidate: side(candidate) } : {}) };
  if (!incumbent || !candidate) return { ...base, finishAgree: null, similarity: null };
  const a = incumbent.choices[0]!;
  const b = candidate.choices[0]!;
  return {
    ...base,
    finishAgree: a.finishReason === null && b.finishReason === null ? null : a.finishReason === b.finishReason,
    similarity: textSimilarity(a.text, b.text),
  };
}
