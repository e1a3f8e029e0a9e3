// The demo's fake LLM: an OpenAI-compatible /v1/chat/completions that streams its answer as SSE
// (`stream: true`) or answers in one JSON body. The incumbent (chat-v1) thinks longer before its first
// token, then writes quickly; the candidate (chat-v2) starts sooner, writes each token more slowly, and
// words its answers differently. Deterministic for a given prompt; timing jitter seeded per request.
import type { ServerResponse } from 'node:http';
import { hash32, uniformOf } from './random.js';
import type { DemoModelKind } from './models.js';

export const CHAT_PATH = '/v1/chat/completions';
export const CHAT_MODEL: Readonly<Record<DemoModelKind, string>> = { incumbent: 'chat-v1', candidate: 'chat-v2' };

export interface ChatTiming {
  /** Time to the first token (ms). */
  readonly firstTokenMs: number;
  /** Time between tokens (ms). */
  readonly tokenGapMs: number;
}

/** Incumbent: slow to start, quick to write. Candidate: ~2.5x faster to first token, ~1.5x slower per token. */
export const CHAT_TIMING: Readonly<Record<DemoModelKind, ChatTiming>> = {
  incumbent: { firstTokenMs: 50, tokenGapMs: 4 },
  candidate: { firstTokenMs: 20, tokenGapMs: 6 },
};

const TOPICS = ['your card', 'a refund', 'the transfer', 'your statement', 'the chargeback', 'your limit'] as const;

function lastUserText(body: unknown): string {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m?.role === 'user' && typeof m.content === 'string') return m.content;
  }
  return '';
}

/** The answer's tokens (words with their spacing), and why it stopped. */
export function chatAnswer(kind: DemoModelKind, prompt: string): { tokens: string[]; finishReason: 'stop' | 'length' } {
  const h = hash32(prompt);
  const topic = TOPICS[h % TOPICS.length]!;
  const text = kind === 'incumbent'
    ? `Thanks for reaching out about ${topic}. I have looked into it and everything is in order. Is there anything else I can help with?`
    : `I checked ${topic} for you: it is all in order. Anything else?`;
  const words = text.split(/(?<= )/);
  // One prompt in eight runs into the candidate's shorter output limit.
  const cut = kind === 'candidate' && h % 8 === 0;
  return { tokens: cut ? words.slice(0, 4) : words, finishReason: cut ? 'length' : 'stop' };
}

function chunk(id: string, model: string, delta: Record<string, string>, finish: string | null): string {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/**
 * Answers one chat request. Timers go in `timers` so the server can cancel them on close. The seed
 * salts the timing jitter (±20%) per request.
 */
export function answerChat(kind: DemoModelKind, body: unknown, res: ServerResponse, timers: Set<NodeJS.Timeout>, requestSeed: number, timing = CHAT_TIMING[kind]): void {
  const { tokens, finishReason } = chatAnswer(kind, lastUserText(body));
  const model = CHAT_MODEL[kind];
  const id = `chatcmpl-${requestSeed.toString(36)}`;
  const stream = (body as { stream?: unknown } | null)?.stream === true;
  const jitter = (i: number) => 0.8 + 0.4 * uniformOf(id, i);
  if (!stream) {
    const t = setTimeout(() => {
      timers.delete(t);
      if (res.destroyed) return;
      const out = JSON.stringify({
        id, object: 'chat.completion', created: 0, model,
        choices: [{ index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: finishReason }],
        usage: { completion_tokens: tokens.length },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    }, timing.firstTokenMs * jitter(0) + timing.tokenGapMs * tokens.length);
    timers.add(t);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk(id, model, { role: 'assistant' }, null));
  let i = 0;
  const next = () => {
    timers.delete(t);
    if (res.destroyed) return;
    if (i < tokens.length) {
      res.write(chunk(id, model, { content: tokens[i]! }, null));
      i++;
      t = setTimeout(next, timing.tokenGapMs * jitter(i));
      timers.add(t);
      return;
    }
    res.write(chunk(id, model, {}, finishReason));
    res.end('data: [DONE]\n\n');
  };
  let t = setTimeout(next, timing.firstTokenMs * jitter(0));
  timers.add(t);
}

/** A chat request body as the demo traffic sends it (with personal data in the prompt, to anonymize). */
export function chatRequest(i: number, people: readonly { readonly email: string; readonly name: string }[]): string {
  const p = people[i % people.length]!;
  return JSON.stringify({
    model: 'chat-v1',
    stream: true,
    messages: [
      { role: 'system', content: 'You are a helpful bank assistant.' },
      { role: 'user', content: `Hi, I am ${p.name} (${p.email}). Question ${i}: can you check my account?` },
    ],
  });
}

/** Streams chat requests through the proxy until the signal or the deadline; returns how many completed. */
export async function driveChat(opts: { url: string; durationMs: number; concurrency: number; people: readonly { readonly email: string; readonly name: string }[]; signal?: AbortSignal }): Promise<{ completed: number; failed: number }> {
  const { request } = await import('undici');
  const until = Date.now() + opts.durationMs;
  let next = 0;
  let completed = 0;
  let failed = 0;
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (Date.now() < until && opts.signal?.aborted !== true) {
      const i = next++;
      try {
        const res = await request(`${opts.url}${CHAT_PATH}`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: chatRequest(i, opts.people),
          headersTimeout: 10_000, bodyTimeout: 10_000,
        });
        const text = await res.body.text();
        if (res.statusCode === 200 && text.includes('[DONE]')) completed++;
        else failed++;
      } catch {
        failed++;
      }
    }
  }));
  return { completed, failed };
}

interface StreamsView {
  readonly incumbent: { readonly streams: number; readonly timeToFirstToken: { readonly p50Ms: number }; readonly interTokenLatency: { readonly p50Ms: number }; readonly tokensPerSecond: { readonly p50: number } };
  readonly candidate: StreamsView['incumbent'];
  readonly finishReason: { readonly agreement: number | null };
  readonly similarity: { readonly mean: number | null; readonly belowThreshold: number; readonly compared: number };
  readonly comparison: Readonly<Record<'timeToFirstToken' | 'interTokenLatency' | 'tokensPerSecond', { readonly verdict: string; readonly ratio: number | null }>>;
}

/** The demo's summary of a streaming route's `streams` report section. */
export function chatLines(streams: StreamsView | undefined): string[] {
  if (streams === undefined) return ['  no streamed shadow answers were compared'];
  const { incumbent: i, candidate: c, comparison: k } = streams;
  const verdict = (v: { verdict: string; ratio: number | null }) => `${v.verdict}${v.ratio !== null ? `, median ratio ${v.ratio.toFixed(2)}` : ''}`;
  return [
    `  streams compared: ${Math.min(i.streams, c.streams)} (chat-v1 incumbent vs chat-v2 candidate, model name rewritten per target)`,
    `  time to first token p50: ${i.timeToFirstToken.p50Ms.toFixed(1)} ms vs ${c.timeToFirstToken.p50Ms.toFixed(1)} ms  (${verdict(k.timeToFirstToken)})`,
    `  inter-token latency p50: ${i.interTokenLatency.p50Ms.toFixed(1)} ms vs ${c.interTokenLatency.p50Ms.toFixed(1)} ms  (${verdict(k.interTokenLatency)})`,
    `  tokens per second p50: ${i.tokensPerSecond.p50.toFixed(0)} vs ${c.tokensPerSecond.p50.toFixed(0)}  (${verdict(k.tokensPerSecond)})`,
    `  finish_reason agreement: ${streams.finishReason.agreement === null ? '-' : `${(streams.finishReason.agreement * 100).toFixed(1)}%`}`,
    `  text similarity: mean ${streams.similarity.mean === null ? '-' : streams.similarity.mean.toFixed(2)}, ${streams.similarity.belowThreshold}/${streams.similarity.compared} below the threshold`,
  ];
}
