import { describe, expect, it } from 'vitest';
import { MAX_STREAM_EVENTS, interTokenGaps, StreamTimeline, assembleExchange, assembleStream, assembledBody, parseNdjson, parseSse, streamFormatOf } from '../../src/compare/stream.js';
import type { ShadowExchange, ShadowResponse } from '../../src/exchange.js';

const sse = (...events: string[]) => Buffer.from(events.map((e) => `data: ${e}\n\n`).join(''));
const chat = (content: string | null, finish: string | null = null, index = 0) =>
  JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index, delta: content === null ? {} : { content }, finish_reason: finish }] });

describe('SSE and NDJSON parsing', () => {
  it('joins multi-line data, skips comments and other fields, accepts CRLF and drops an unfinished last event', () => {
    const body = Buffer.from(': keep-alive\r\nevent: message\r\ndata: a\r\ndata:b\r\nid: 7\r\n\r\ndata: second\n\ndata: cut-off');
    const { events } = parseSse(body);
    expect(events.map((e) => e.data)).toEqual(['a\nb', 'second']);
    expect(events[0]!.end).toBe(body.indexOf('data: second'));
  });

  it('an event without data is no event', () => {
    expect(parseSse(Buffer.from('event: ping\n\n: comment\n\n')).events).toEqual([]);
  });

  it('NDJSON: one value per line, blank lines skipped, a last line without newline kept', () => {
    const { events } = parseNdjson(Buffer.from('{"a":1}\n\n{"b":2}\n{"c":3}'));
    expect(events.map((e) => e.data)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('stops at MAX_STREAM_EVENTS and says the stream was truncated', () => {
    const body = Buffer.from('data: x\n\n'.repeat(MAX_STREAM_EVENTS + 5));
    const out = parseSse(body);
    expect(out.events).toHaveLength(MAX_STREAM_EVENTS);
    expect(out.truncated).toBe(true);
  });

  it('recognizes stream content types', () => {
    expect(streamFormatOf('text/event-stream; charset=utf-8')).toBe('sse');
    expect(streamFormatOf('application/x-ndjson')).toBe('ndjson');
    expect(streamFormatOf('application/json')).toBeUndefined();
    expect(streamFormatOf(undefined)).toBeUndefined();
  });
});

describe('assembling a streamed answer', () => {
  it('OpenAI chat: text of delta.content per choice, finish_reason, [DONE], usage tokens', () => {
    const body = sse(chat(null), chat('Hel'), chat('lo', null, 1), chat('lo!'), chat(null, 'stop'), chat('Bye', 'length', 1),
      JSON.stringify({ choices: [], usage: { completion_tokens: 4 } }), '[DONE]');
    const a = assembleStream('sse', body);
    expect(a.choices).toEqual([
      { index: 0, text: 'Hello!', finishReason: 'stop' },
      { index: 1, text: 'loBye', finishReason: 'length' },
    ]);
    expect(a.finished).toBe(true);
    expect(a.tokenEvents).toBe(4);
    expect(a.reportedTokens).toBe(4);
    expect(a.ttftMs).toBeNull(); // no timing given
  });

  it('completions text, TGI tokens, Ollama NDJSON and plain text events', () => {
    expect(assembleStream('sse', sse(JSON.stringify({ choices: [{ index: 0, text: 'a b' }] }), JSON.stringify({ choices: [{ index: 0, text: ' c', finish_reason: 'stop' }] }))).choices[0])
      .toEqual({ index: 0, text: 'a b c', finishReason: 'stop' });
    const tgi = sse(JSON.stringify({ token: { text: 'x', special: false } }), JSON.stringify({ token: { text: '</s>', special: true }, details: { finish_reason: 'eos_token', generated_tokens: 2 } }));
    expect(assembleStream('sse', tgi).choices[0]).toEqual({ index: 0, text: 'x', finishReason: 'eos_token' });
    const ollama = Buffer.from('{"message":{"content":"Hi"},"done":false}\n{"message":{"content":" there"},"done":true,"done_reason":"stop","eval_count":2}\n');
    const o = assembleStream('ndjson', ollama);
    expect(o.choices[0]).toEqual({ index: 0, text: 'Hi there', finishReason: 'stop' });
    expect(o.reportedTokens).toBe(2);
    const plain = assembleStream('sse', sse('one ', 'two'));
    expect(plain.choices[0]!.text).toBe('one two');
    expect(plain.finished).toBe(false);
  });

  it('token timing comes from when the bytes that completed each event arrived', () => {
    const events = [chat('a'), chat('b'), chat('c'), chat(null, 'stop')].map((e) => Buffer.from(`data: ${e}\n\n`));
    // chunk 1: a role-less preamble comment; chunk 2: event a; chunk 3: events b and half of c; chunk 4: rest.
    const pre = Buffer.from(': hi\n\n');
    const half = Math.floor(events[2]!.length / 2);
    const chunks = [pre, events[0]!, Buffer.concat([events[1]!, events[2]!.subarray(0, half)]), Buffer.concat([events[2]!.subarray(half), events[3]!])];
    const t = new StreamTimeline();
    const times = [5, 40, 60, 100];
    chunks.forEach((c, i) => t.mark(c.length, times[i]!));
    const a = assembleStream('sse', Buffer.concat(chunks), t);
    expect(a.ttftMs).toBe(40);
    expect(a.interTokenMs).toEqual([20, 40]);
    expect(a.tokensPerSecond).toBeCloseTo(2 * 1000 / 60, 6);
  });

  it('tokens that arrive in one chunk share the wait since the previous arrival', () => {
    expect(interTokenGaps([10, 22, 22, 22, 30])).toEqual([4, 4, 4, 8]);
    expect(interTokenGaps([10, 10, 16])).toEqual([0, 6]);
    expect(interTokenGaps([5])).toEqual([]);
  });

  it('the timeline is bounded: past its capacity the last mark moves forward', () => {
    const t = new StreamTimeline();
    for (let i = 0; i < 5000; i++) t.mark(1, i);
    expect(t.ends.length).toBe(4096);
    expect(t.ends.at(-1)).toBe(5000);
    expect(t.times.at(-1)).toBe(4999);
  });

  it('the assembled body has the shape of a chat completion, without event counts', () => {
    const body = JSON.parse(assembledBody(assembleStream('sse', sse(chat('x'), chat(null, 'stop'), '[DONE]'))).toString()) as unknown;
    expect(body).toEqual({ object: 'stream.assembled', choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'stop' }], stream: { finished: true } });
  });
});

describe('assembleExchange', () => {
  const response = (role: 'incumbent' | 'candidate', contentType: string, body: Buffer, extra: Partial<ShadowResponse> = {}): ShadowResponse =>
    ({ target: role, role, status: 200, headers: { 'content-type': contentType }, body, latencyMs: 1, ...extra });
  const exchange = (inc: ShadowResponse, cand: ShadowResponse): ShadowExchange => ({
    route: 'r', requestId: 'id', policyId: 'p', ts: 0,
    request: { method: 'POST', url: '/', headers: {}, body: Buffer.alloc(0) }, responses: { incumbent: inc, candidate: cand },
  });

  it('leaves an exchange without streams alone', () => {
    expect(assembleExchange(exchange(response('incumbent', 'application/json', Buffer.from('{}')), response('candidate', 'application/json', Buffer.from('{}'))))).toBeUndefined();
  });

  it('replaces streamed answers by their assembled JSON; a failed side stays as it was', () => {
    const failed = response('candidate', 'text/event-stream', Buffer.alloc(0), { status: 0, error: 'timeout' });
    const out = assembleExchange(exchange(response('incumbent', 'text/event-stream', sse(chat('hi'), '[DONE]')), failed))!;
    expect(out.incumbent!.choices[0]!.text).toBe('hi');
    expect(out.candidate).toBeUndefined();
    expect(out.exchange.responses.candidate).toBe(failed);
    expect(out.exchange.responses.incumbent!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(out.exchange.responses.incumbent!.body.toString()).choices[0].message.content).toBe('hi');
  });
});
