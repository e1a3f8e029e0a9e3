// Streamed LLM answers through the proxy: SSE reaches the client event by event (never buffered), and on
// the shadow path each target's stream is collected (bounded), assembled and compared, per-target
// rewritten copies included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { ServerResponse } from 'node:http';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, sendMany, startFromYaml } from '../helpers/app.js';
import { answerChat, chatAnswer, chatRequest } from '../../src/demo/llm.js';
import type { StreamReport } from '../../src/compare/stream-book.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { replayDataset } from '../../src/replay/replay.js';
import { toDatasetRecord } from '../../src/dataset/record.js';
import { tempDir } from '../helpers/run.js';

describe('SSE pass-through on the live path', () => {
  it('the first event reaches the client while the upstream still holds the stream open', async () => {
    let clientSawFirst!: () => void;
    const firstSeen = new Promise<void>((resolve) => { clientSawFirst = resolve; });
    let upstreamEnded = false;
    const up = await startUpstream((_req, _body, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"first"}}]}\n\n');
      // The rest only comes once the client has the first event: a buffering proxy deadlocks here.
      void firstSeen.then(() => {
        res.write('data: {"choices":[{"index":0,"delta":{"content":" second"},"finish_reason":"stop"}]}\n\n');
        upstreamEnded = true;
        res.end('data: [DONE]\n\n');
      });
    });
    const gw = await startFromYaml(`
upstreams: { llm: { url: "${up.url}", timeout: 5s } }
routes: [{ name: chat, match: { pathPrefix: /v1 }, primary: llm }]
`);
    try {
      const res = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', body: '{"stream":true}', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      let text = '';
      let endedBeforeFirst: boolean | undefined;
      for await (const chunk of res.body) {
        text += (chunk as Buffer).toString('utf8');
        if (endedBeforeFirst === undefined && text.includes('first')) {
          endedBeforeFirst = upstreamEnded;
          clientSawFirst();
        }
      }
      expect(endedBeforeFirst).toBe(false);
      expect(text).toContain('[DONE]');
      expect(text).toContain(' second');
    } finally {
      await gw.close();
      await up.close();
    }
  });
});

describe('shadow copies of streamed answers', () => {
  let inc: TestUpstream;
  let cand: TestUpstream;
  const timers = new Set<NodeJS.Timeout>();
  let n = 0;
  const people = [{ name: 'Amelia Hart', email: 'amelia.hart@example.com' }, { name: 'Noah Berg', email: 'noah.berg@example.org' }];
  // Small delays: token timing is recorded, never asserted on.
  const timing = { firstTokenMs: 2, tokenGapMs: 1 };

  beforeAll(async () => {
    inc = await startUpstream((_req, body, res) => answerChat('incumbent', JSON.parse(body.toString()), res, timers, ++n, timing));
    cand = await startUpstream((_req, body, res) => answerChat('candidate', JSON.parse(body.toString()), res, timers, ++n, timing));
  });
  afterAll(async () => {
    for (const t of timers) clearTimeout(t);
    await inc.close();
    await cand.close();
  });

  const yaml = (extra = '') => `
server: { maxEventLoopDelay: 10s }
upstreams: { inc: { url: "${inc.url}", timeout: 5s }, cand: { url: "${cand.url}", timeout: 5s } }
routes:
  - name: chat
    match: { pathPrefix: /v1/chat }
    primary: inc
    shadow:
      targets: [inc, cand]
      policy: chat
      maxRps: 10000
      rewrite: { cand: { body: { "$.model": chat-v2 }, headers: { set: { x-model: chat-v2 } } } }
      compare: { preset: openai-chat, verdict: { minObservations: 5 } }
      ${extra}
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    chat:
      headers: { keep: [content-type] }
      fields: { "$.messages[*].content": text }
      unknown: keep
`;

  async function settled(gw: Awaited<ReturnType<typeof startFromYaml>>, copies: number): Promise<void> {
    const sent = async () => (await gw.app.metrics.shadowRequests.get()).values.reduce((s, v) => s + v.value, 0);
    while ((await sent()) < copies * 2 || gw.app.routeShadow('chat')!.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
  }

  it('collects both streams, compares assembled text and finish_reason, and reports token timing per target', async () => {
    const gw = await startFromYaml(yaml());
    const before = { inc: inc.received.length, cand: cand.received.length };
    try {
      const N = 24;
      const answers = await sendMany(N, 4, (i) => send(gw.url, { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: chatRequest(i, people) }));
      for (const a of answers) expect(a.body).toContain('data: [DONE]');
      await settled(gw, N);

      // Each target got the anonymized copy; only the candidate's names its own model.
      const incCopies = inc.received.slice(before.inc).filter((r) => r.headers['x-shadowgate-shadow'] === '1');
      const candCopies = cand.received.slice(before.cand);
      expect(incCopies).toHaveLength(N);
      expect(candCopies).toHaveLength(N);
      for (const c of candCopies) {
        const body = c.body.toString();
        expect(JSON.parse(body).model).toBe('chat-v2');
        expect(c.headers['x-model']).toBe('chat-v2');
        expect(body).not.toMatch(/amelia\.hart@example\.com|noah\.berg@example\.org/);
      }
      for (const c of incCopies) {
        expect(JSON.parse(c.body.toString()).model).toBe('chat-v1');
        expect(c.headers['x-model']).toBeUndefined();
      }

      // The candidate stops for length on some prompts: the expected agreement follows from what it received.
      const prompt = (b: Buffer) => (JSON.parse(b.toString()) as { messages: { content: string }[] }).messages[1]!.content;
      const agreeing = candCopies.filter((c) => chatAnswer('candidate', prompt(c.body)).finishReason === 'stop').length;
      expect(agreeing).toBeLessThan(N);

      const res = await request(`${gw.adminUrl}/admin/report?route=chat`);
      const report = (await res.body.json()) as { streams: StreamReport; sinceStart: { compared: number; label: { agreement: number; observations: number }; text: { path: string; n: number }[] } };
      const s = report.streams;
      expect(s.incumbent.streams).toBe(N);
      expect(s.candidate.streams).toBe(N);
      expect(s.incumbent.unfinished).toBe(0);
      expect(s.incumbent.timeToFirstToken.count).toBe(N);
      expect(s.candidate.timeToFirstToken.count).toBe(N);
      const incTokens = chatAnswer('incumbent', 'x').tokens.length;
      expect(s.incumbent.interTokenLatency.count).toBe(N * (incTokens - 1));
      expect(s.finishReason.compared).toBe(N);
      expect(s.finishReason.agreement).toBeCloseTo(agreeing / N, 6);
      expect(s.similarity.compared).toBe(N);
      expect(s.similarity.belowThreshold).toBe(N); // the candidate words every answer differently
      expect(s.comparison.timeToFirstToken.observations).toEqual([N, N]);
      // The same engine compared the assembled answers: finish_reason is the openai-chat label, content by similarity.
      expect(report.sinceStart.compared).toBe(N);
      expect(report.sinceStart.label.observations).toBe(N);
      expect(report.sinceStart.label.agreement).toBeCloseTo(agreeing / N, 6);
      expect(report.sinceStart.text).toEqual([expect.objectContaining({ path: '$.choices[*].message.content', n: N })]);
    } finally {
      await gw.close();
    }
  });

  it('a stream longer than maxResponseBytes is cut and counted; the client still gets all of it', async () => {
    const gw = await startFromYaml(yaml('maxResponseBytes: 600'));
    try {
      const a = await send(gw.url, { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: chatRequest(0, people) });
      expect(a.body).toContain('data: [DONE]');
      await settled(gw, 1);
      const outcomes = (await gw.app.metrics.shadowRequests.get()).values.map((v) => `${v.labels.target}:${v.labels.outcome}`).sort();
      expect(outcomes).toEqual(['cand:too_large', 'inc:too_large']);
    } finally {
      await gw.close();
    }
  });

  it('a stream that outlasts streamTimeout is cut as a timeout', async () => {
    const slow = await startUpstream((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const t = setInterval(() => res.write('data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\n'), 5);
      res.on('close', () => clearInterval(t));
    });
    const gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s }
upstreams: { a: { url: "${inc.url}" }, slow: { url: "${slow.url}", timeout: 1s } }
routes:
  - name: chat
    match: { pathPrefix: /v1/chat }
    primary: a
    shadow: { targets: [slow], policy: none, allowRawData: true, streamTimeout: 50ms }
`);
    try {
      await send(gw.url, { method: 'POST', path: '/v1/chat/completions', body: chatRequest(0, people) });
      const outcome = async () => (await gw.app.metrics.shadowRequests.get()).values.find((v) => v.labels.target === 'slow')?.labels.outcome;
      while ((await outcome()) === undefined) await new Promise((r) => setTimeout(r, 5));
      expect(await outcome()).toBe('timeout');
    } finally {
      await gw.close();
      await slow.close();
    }
  });

  it('offline replay compares streamed answers by their assembled text too', async () => {
    const dir = tempDir('sg-replay-stream-');
    const file = join(dir, 'chat.jsonl');
    const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify(toDatasetRecord({
      route: 'chat', requestId: `r${i}`, policyId: 'none', ts: 0,
      request: { method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: Buffer.from(chatRequest(i, people)) },
      responses: {},
    })));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const config = parseConfig(`
upstreams: { inc: { url: "${inc.url}" }, cand: { url: "${cand.url}" } }
routes:
  - name: chat
    primary: inc
    shadow: { targets: [inc, cand], policy: none, allowRawData: true, compare: { preset: openai-chat, verdict: { minObservations: 1 } } }
`);
    const result = await replayDataset({ config, datasets: [file] });
    const report = result.reports.find((r) => r.route === 'chat')!;
    expect(report.sinceStart.compared).toBe(6);
    // Without assembly the SSE bodies would compare as bytes: no label, no text similarity.
    expect(report.sinceStart.label?.observations).toBe(6);
    expect(report.sinceStart.text).toEqual([expect.objectContaining({ path: '$.choices[*].message.content', n: 6 })]);
  });
});
