// Streamed answers (SSE and NDJSON) turned into something the comparison engine can diff: the events
// parsed, the text of each choice assembled (OpenAI `choices[].delta.content`, completions `text`, TGI,
// Ollama, or plain `data:` text), its finish_reason, and the token timing read from when each byte arrived.
// Pure: the caller records chunk arrival times (StreamTimeline) and passes them in.
import type { ShadowExchange, ShadowResponse, ShadowRole } from '../exchange.js';

/** The stream formats recognized by content type. */
export type StreamFormat = 'sse' | 'ndjson';

/** Events parsed per stream at most; the rest counts as truncated (a bound, not a sample). */
export const MAX_STREAM_EVENTS = 16_384;
/** Chunk arrival marks kept per stream; later chunks are folded into the last mark. */
export const MAX_CHUNK_MARKS = 4096;

export function streamFormatOf(contentType: string | undefined): StreamFormat | undefined {
  if (contentType === undefined) return undefined;
  const ct = contentType.toLowerCase();
  if (ct.startsWith('text/event-stream')) return 'sse';
  if (ct.startsWith('application/x-ndjson') || ct.startsWith('application/jsonl') || ct.startsWith('application/ndjson')) return 'ndjson';
  return undefined;
}

/**
 * When each chunk of a response arrived, as (end byte offset, ms since the request was sent). Bounded:
 * after MAX_CHUNK_MARKS chunks the last mark moves forward, so late tokens look later, never earlier.
 */
export class StreamTimeline {
  readonly ends: number[] = [];
  readonly times: number[] = [];
  private size = 0;

  mark(chunkBytes: number, msSinceStart: number): void {
    this.size += chunkBytes;
    if (this.ends.length < MAX_CHUNK_MARKS) {
      this.ends.push(this.size);
      this.times.push(msSinceStart);
    } else {
      this.ends[this.ends.length - 1] = this.size;
      this.times[this.times.length - 1] = msSinceStart;
    }
  }
}

/** A plain-data copy of a timeline (what crosses threads and rooms). */
export interface ChunkMarks {
  readonly ends: readonly number[];
  readonly times: readonly number[];
}

export interface StreamEvent {
  readonly data: string;
  /** Byte offset just past the event's last byte. */
  readonly end: number;
}

/** SSE events (WHATWG rules: `data:` lines joined by \n, an event ends at a blank line; comments skipped). */
export function parseSse(body: Buffer): { events: StreamEvent[]; truncated: boolean } {
  const events: StreamEvent[] = [];
  let data: string[] | undefined;
  let pos = 0;
  while (pos < body.length) {
    let nl = body.indexOf(0x0a, pos);
    const complete = nl !== -1;
    if (!complete) nl = body.length;
    let lineEnd = nl;
    if (lineEnd > pos && body[lineEnd - 1] === 0x0d) lineEnd--;
    const next = complete ? nl + 1 : nl;
    if (!complete) break; // an unfinished last line is not an event (the stream was cut)
    if (lineEnd === pos) {
      if (data !== undefined) {
        if (events.length >= MAX_STREAM_EVENTS) return { events, truncated: true };
        events.push({ data: data.join('\n'), end: next });
        data = undefined;
      }
    } else if (body[pos] !== 0x3a /* ':' comment */) {
      const line = body.toString('utf8', pos, lineEnd);
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      if (field === 'data') {
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        (data ??= []).push(value);
      }
    }
    pos = next;
  }
  return { events, truncated: false };
}

/** One JSON document per non-empty line. */
export function parseNdjson(body: Buffer): { events: StreamEvent[]; truncated: boolean } {
  const events: StreamEvent[] = [];
  let pos = 0;
  while (pos < body.length) {
    const nl = body.indexOf(0x0a, pos);
    if (nl === -1) {
      // A last line without a newline still counts when it is a whole JSON value.
      const rest = body.toString('utf8', pos).trim();
      if (rest.length > 0 && events.length < MAX_STREAM_EVENTS) events.push({ data: rest, end: body.length });
      break;
    }
    const line = body.toString('utf8', pos, nl).trim();
    if (line.length > 0) {
      if (events.length >= MAX_STREAM_EVENTS) return { events, truncated: true };
      events.push({ data: line, end: nl + 1 });
    }
    pos = nl + 1;
  }
  return { events, truncated: false };
}

export interface AssembledChoice {
  readonly index: number;
  readonly text: string;
  readonly finishReason: string | null;
}

export interface AssembledStream {
  readonly format: StreamFormat;
  readonly events: number;
  /** Events that carried text. */
  readonly tokenEvents: number;
  /** Choice 0 first; every choice's text in event order. */
  readonly choices: readonly AssembledChoice[];
  /** `[DONE]` seen (SSE) or a finish reason / `done: true` seen. */
  readonly finished: boolean;
  readonly truncated: boolean;
  /** usage.completion_tokens (or eval_count) when the stream reported it. */
  readonly reportedTokens: number | null;
  /** ms from sending the request to the first event with text; null without timing or text. */
  readonly ttftMs: number | null;
  /** Gaps between successive text events (ms), as the bytes arrived (see interTokenGaps). */
  readonly interTokenMs: readonly number[];
  /** Tokens after the first over the time from the first to the last text event; null when not measurable. */
  readonly tokensPerSecond: number | null;
}

const MAX_CHOICES = 16;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Piece { index: number; text: string | undefined; finish: string | undefined }

/** What one parsed event says, for the shapes model servers stream. */
function piecesOf(value: unknown, out: Piece[]): void {
  if (!isObj(value)) return;
  if (Array.isArray(value.choices)) {
    for (const c of value.choices) {
      if (!isObj(c)) continue;
      const index = typeof c.index === 'number' && Number.isInteger(c.index) ? c.index : 0;
      const delta = isObj(c.delta) ? c.delta : undefined;
      // chat: delta.content; completions (OpenAI, vLLM): text
      const text = str(delta?.content) ?? str(c.text);
      out.push({ index, text, finish: str(c.finish_reason) });
    }
    return;
  }
  // TGI: { token: { text }, details: { finish_reason } }
  if (isObj(value.token)) {
    out.push({ index: 0, text: value.token.special === true ? undefined : str(value.token.text), finish: isObj(value.details) ? str(value.details.finish_reason) : undefined });
    return;
  }
  // Ollama: { message: { content } } (chat) or { response } (generate), done_reason at the end
  if (isObj(value.message) || typeof value.response === 'string') {
    const text = isObj(value.message) ? str(value.message.content) : str(value.response);
    out.push({ index: 0, text, finish: str(value.done_reason) ?? (value.done === true ? 'stop' : undefined) });
    return;
  }
  // Anthropic-style: { delta: { text, stop_reason } }
  if (isObj(value.delta)) out.push({ index: 0, text: str(value.delta.text), finish: str(value.delta.stop_reason) });
}

function reportedTokensOf(value: unknown): number | undefined {
  if (!isObj(value)) return undefined;
  if (isObj(value.usage) && typeof value.usage.completion_tokens === 'number') return value.usage.completion_tokens;
  if (typeof value.eval_count === 'number') return value.eval_count;
  if (isObj(value.details) && typeof value.details.generated_tokens === 'number') return value.details.generated_tokens;
  return undefined;
}

/** The arrival time of the byte just before `end` (the mark of the chunk that completed the event). */
function arrivalOf(marks: ChunkMarks, end: number, from: number): number {
  let i = from;
  while (i < marks.ends.length - 1 && marks.ends[i]! < end) i++;
  return i;
}

/**
 * Gaps between successive tokens. Tokens that arrived together (one chunk: the sender's writes were
 * coalesced) share the wait since the previous arrival evenly, so a burst of k tokens after 12 ms counts
 * k gaps of 12/k ms rather than one of 12 and k-1 of 0; the gaps still sum to last minus first.
 */
export function interTokenGaps(times: readonly number[]): number[] {
  const gaps: number[] = [];
  let i = 1;
  while (i < times.length) {
    let j = i;
    while (j + 1 < times.length && times[j + 1] === times[i]) j++;
    const k = j - i + 1;
    const gap = (times[i]! - times[i - 1]!) / k;
    for (let n = 0; n < k; n++) gaps.push(gap);
    i = j + 1;
  }
  return gaps;
}

/** Parses and assembles one streamed body. `marks` (optional) gives the token timing. */
export function assembleStream(format: StreamFormat, body: Buffer, marks?: ChunkMarks): AssembledStream {
  const parsed = format === 'sse' ? parseSse(body) : parseNdjson(body);
  const texts = new Map<number, string[]>();
  const finish = new Map<number, string>();
  let finished = false;
  let tokenEvents = 0;
  let reported: number | null = null;
  const tokenTimes: number[] = [];
  const timed = marks !== undefined && marks.ends.length > 0;
  let markIndex = 0;
  const pieces: Piece[] = [];
  for (const ev of parsed.events) {
    if (format === 'sse' && ev.data === '[DONE]') {
      finished = true;
      continue;
    }
    let value: unknown;
    let isJson = true;
    try {
      value = JSON.parse(ev.data);
    } catch {
      isJson = false;
    }
    pieces.length = 0;
    if (isJson) {
      piecesOf(value, pieces);
      const n = reportedTokensOf(value);
      if (n !== undefined) reported = n;
    } else if (ev.data.length > 0) {
      pieces.push({ index: 0, text: ev.data, finish: undefined }); // plain text events
    }
    let carried = false;
    for (const p of pieces) {
      if (p.index >= MAX_CHOICES) continue;
      if (p.text !== undefined && p.text.length > 0) {
        let list = texts.get(p.index);
        if (!list) texts.set(p.index, (list = []));
        list.push(p.text);
        carried = true;
      }
      if (p.finish !== undefined) {
        finish.set(p.index, p.finish);
        finished = true;
      }
    }
    if (carried) {
      tokenEvents++;
      if (timed) {
        markIndex = arrivalOf(marks, ev.end, markIndex);
        tokenTimes.push(marks.times[markIndex]!);
      }
    }
  }
  const indices = [...new Set([...texts.keys(), ...finish.keys()])].sort((a, b) => a - b);
  if (indices.length === 0) indices.push(0);
  const choices = indices.map((index) => ({ index, text: (texts.get(index) ?? []).join(''), finishReason: finish.get(index) ?? null }));
  const interTokenMs = interTokenGaps(tokenTimes);
  let tokensPerSecond: number | null = null;
  if (tokenTimes.length >= 2) {
    const spanMs = tokenTimes[tokenTimes.length - 1]! - tokenTimes[0]!;
    const tokens = reported ?? tokenEvents;
    // The first token opens the span: rate = the tokens after it over the time they took.
    if (spanMs > 0 && tokens > 1) tokensPerSecond = ((tokens - 1) * 1000) / spanMs;
  }
  return {
    format,
    events: parsed.events.length,
    tokenEvents,
    choices,
    finished,
    truncated: parsed.truncated,
    reportedTokens: reported,
    ttftMs: tokenTimes.length > 0 ? tokenTimes[0]! : null,
    interTokenMs,
    tokensPerSecond,
  };
}

/**
 * The assembled answer in the shape of a non-streamed chat completion, so the same engine (and the
 * openai-chat preset: content by similarity, finish_reason as the label) compares streamed answers.
 */
export function assembledBody(a: AssembledStream): Buffer {
  return Buffer.from(JSON.stringify({
    object: 'stream.assembled',
    choices: a.choices.map((c) => ({ index: c.index, message: { role: 'assistant', content: c.text }, finish_reason: c.finishReason })),
    // Event counts differ between models by nature; a stream that never finished is a real difference.
    stream: { finished: a.finished },
  }));
}

/** The streamed side of a shadow response (the fields assembleResponse needs). */
export interface StreamedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly error?: string;
  readonly chunks?: ChunkMarks;
}

/**
 * A streamed, answered response assembled: its stream and the response with the assembled body (content
 * type application/json), ready for the engine. undefined when the response is not a stream or failed.
 */
export function assembleResponse<R extends StreamedResponse>(r: R | undefined): { stream: AssembledStream; response: R } | undefined {
  if (r === undefined || r.error !== undefined || r.status === 0 || r.status >= 300) return undefined;
  const format = streamFormatOf(r.headers['content-type']);
  if (format === undefined) return undefined;
  const stream = assembleStream(format, r.body, r.chunks);
  return { stream, response: { ...r, body: assembledBody(stream), headers: { ...r.headers, 'content-type': 'application/json' } } };
}

/**
 * A shadow exchange whose answers are streams, with each streamed answer replaced by its assembled JSON
 * (so the engine diffs text and finish_reason) and the streams themselves for the streaming book.
 * undefined when no answer of the exchange streamed: the exchange is then compared as it is.
 */
export function assembleExchange(ex: ShadowExchange): { exchange: ShadowExchange; incumbent?: AssembledStream; candidate?: AssembledStream } | undefined {
  const inc = assembleResponse(ex.responses.incumbent);
  const cand = assembleResponse(ex.responses.candidate);
  const base = assembleResponse(ex.responses.baseline);
  if (!inc && !cand && !base) return undefined;
  const responses: Partial<Record<ShadowRole, ShadowResponse>> = { ...ex.responses };
  if (inc) responses.incumbent = inc.response;
  if (cand) responses.candidate = cand.response;
  if (base) responses.baseline = base.response;
  return { exchange: { ...ex, responses }, incumbent: inc?.stream, candidate: cand?.stream };
}
