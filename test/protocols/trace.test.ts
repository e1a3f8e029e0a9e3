// W3C trace context followed from the client to the live upstream and to both shadow targets, and the
// optional OTLP/HTTP export of the live and shadow spans to a real collector on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpExporter, childContext, formatTraceparent, otlpBody, parseTraceparent, type SpanRecord } from '../../src/observe/trace.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const CLIENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

describe('traceparent', () => {
  it('parses version 00 and a future version by its first four fields', () => {
    expect(parseTraceparent(CLIENT)).toEqual({ traceId: CLIENT_TRACE, spanId: CLIENT_SPAN, flags: '01' });
    expect(parseTraceparent(`cc-${CLIENT_TRACE}-${CLIENT_SPAN}-01-what-the-future-adds`)).toMatchObject({ traceId: CLIENT_TRACE });
    expect(parseTraceparent(`00-${CLIENT_TRACE.toUpperCase()}-${CLIENT_SPAN}-00`)).toMatchObject({ flags: '00' });
  });

  it.each([
    ['all-zero trace id', `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`],
    ['all-zero span id', `00-${CLIENT_TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${CLIENT_TRACE}-${CLIENT_SPAN}-01`],
    ['version 00 with a tail', `${CLIENT}-extra`],
    ['not hex', `00-${'g'.repeat(32)}-${CLIENT_SPAN}-01`],
    ['short', '00-abc-def-01'],
    ['two headers', [CLIENT, CLIENT]],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('a child keeps the trace and flags with a new span id', () => {
    const parent = parseTraceparent(CLIENT)!;
    const a = childContext(parent);
    const b = childContext(parent);
    expect(a.traceId).toBe(CLIENT_TRACE);
    expect(a.flags).toBe('01');
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set([a.spanId, b.spanId, CLIENT_SPAN]).size).toBe(3);
    expect(parseTraceparent(formatTraceparent(a))).toEqual(a);
  });
});

describe('OTLP export', () => {
  const span = (i: number): SpanRecord => ({ name: `s${i}`, kind: 3, context: childContext(parseTraceparent(CLIENT)!), parentSpanId: CLIENT_SPAN, startMs: 1, endMs: 2.5, attributes: { n: i, ok: true, r: 0.5, s: 'x' }, error: false });

  it('encodes spans as OTLP/JSON: hex ids, nanosecond strings, typed attributes', () => {
    const body = JSON.parse(otlpBody('svc', [span(1)])) as { resourceSpans: { resource: unknown; scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    const s = body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(body.resourceSpans[0]!.resource).toEqual({ attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] });
    expect(s).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: CLIENT_SPAN, name: 's1', kind: 3, status: { code: 1 } });
    expect(BigInt(s.endTimeUnixNano as string) - BigInt(s.startTimeUnixNano as string)).toBe(1_500_000n);
    expect(s.attributes).toEqual([
      { key: 'n', value: { intValue: '1' } }, { key: 'ok', value: { boolValue: true } }, { key: 'r', value: { doubleValue: 0.5 } }, { key: 's', value: { stringValue: 'x' } },
    ]);
  });

  it('the queue is bounded: spans past maxQueue are dropped and counted', async () => {
    const counts: Record<string, number> = {};
    const exporter = new OtlpExporter({ endpoint: 'http://127.0.0.1:9', headers: {}, timeout: 500, maxQueue: 3, batchSize: 100, interval: 60_000 }, 'svc', { inc: ({ outcome }, n = 1) => { counts[outcome] = (counts[outcome] ?? 0) + n; } });
    for (let i = 0; i < 5; i++) exporter.add(span(i));
    expect(counts).toEqual({ dropped: 2 });
    await exporter.close(); // the collector is not there: the 3 queued spans fail, counted
    expect(counts).toEqual({ dropped: 2, failed: 3 });
  });
});

describe('through the proxy', () => {
  let live: TestUpstream;
  let cand: TestUpstream;
  let collector: http.Server;
  let collectorUrl = '';
  const exported: Record<string, unknown>[] = [];
  let onExport: () => void = () => undefined;

  beforeAll(async () => {
    live = await startUpstream(json(200, { ok: true }));
    cand = await startUpstream(json(200, { ok: true }));
    collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
          for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) exported.push(...ss.spans);
          onExport();
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await live.close();
    await cand.close();
    await new Promise((r) => collector.close(r));
  });

  const yaml = (tracing: string) => `
server: { maxEventLoopDelay: 10s }
upstreams: { live: { url: "${live.url}" }, cand: { url: "${cand.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: live
    shadow: { targets: [live, cand], policy: p, maxRps: 1000 }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies: { p: { headers: { keep: [content-type] }, unknown: scan } }
${tracing}
`;

  async function shadowCopies(gw: Awaited<ReturnType<typeof startFromYaml>>): Promise<void> {
    const sent = async () => (await gw.app.metrics.shadowRequests.get()).values.reduce((s, v) => s + v.value, 0);
    while ((await sent()) < 2 || gw.app.routeShadow('predict')!.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
  }

  it('without tracing.otlp: the live call gets the client\'s traceparent as is, each shadow copy its own child', async () => {
    const gw = await startFromYaml(yaml(''));
    const from = { live: live.received.length, cand: cand.received.length };
    try {
      await send(gw.url, { method: 'POST', path: '/v1/p', headers: { traceparent: CLIENT, tracestate: 'vendor=secret', 'content-type': 'application/json' }, body: '{"a":1}' });
      await shadowCopies(gw);
      const got = [...live.received.slice(from.live), ...cand.received.slice(from.cand)];
      const primary = got.find((r) => r.headers['x-shadowgate-shadow'] === undefined)!;
      expect(primary.headers.traceparent).toBe(CLIENT);
      const copies = got.filter((r) => r.headers['x-shadowgate-shadow'] === '1').map((r) => parseTraceparent(r.headers.traceparent)!);
      expect(copies).toHaveLength(2);
      for (const c of copies) expect(c).toMatchObject({ traceId: CLIENT_TRACE, flags: '01' });
      expect(new Set([...copies.map((c) => c.spanId), CLIENT_SPAN]).size).toBe(3);
      // tracestate is the client's, not the policy's to pass on: the copies carry none.
      for (const r of got.filter((x) => x.headers['x-shadowgate-shadow'] === '1')) expect(r.headers.tracestate).toBeUndefined();
    } finally {
      await gw.close();
    }
  });

  it('without tracing.otlp and without a client trace, nothing is invented', async () => {
    const gw = await startFromYaml(yaml(''));
    const from = { live: live.received.length, cand: cand.received.length };
    try {
      expect((gw.app as unknown as { gen: { tracer?: unknown } }).gen.tracer).toBeUndefined();
      await send(gw.url, { method: 'POST', path: '/v1/p', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
      await shadowCopies(gw);
      for (const r of [...live.received.slice(from.live), ...cand.received.slice(from.cand)]) expect(r.headers.traceparent).toBeUndefined();
    } finally {
      await gw.close();
    }
  });

  it('with tracing.otlp: the proxy\'s live span continues the client\'s, each shadow span is its child and linked to it', async () => {
    exported.length = 0;
    const gw = await startFromYaml(yaml(`tracing: { serviceName: gw-test, otlp: { endpoint: "${collectorUrl}", interval: 10ms } }`));
    const from = { live: live.received.length, cand: cand.received.length };
    try {
      const all = new Promise<void>((resolve) => { onExport = () => { if (exported.length >= 3) resolve(); }; });
      await send(gw.url, { method: 'POST', path: '/v1/p', headers: { traceparent: CLIENT, 'content-type': 'application/json' }, body: '{"a":1}' });
      await shadowCopies(gw);
      await all;
      const got = [...live.received.slice(from.live), ...cand.received.slice(from.cand)];
      const primary = parseTraceparent(got.find((r) => r.headers['x-shadowgate-shadow'] === undefined)!.headers.traceparent)!;
      expect(primary.traceId).toBe(CLIENT_TRACE);
      expect(primary.spanId).not.toBe(CLIENT_SPAN);
      const copies = got.filter((r) => r.headers['x-shadowgate-shadow'] === '1').map((r) => parseTraceparent(r.headers.traceparent)!);

      const server = exported.find((s) => s.kind === 2)!;
      expect(server).toMatchObject({ traceId: CLIENT_TRACE, spanId: primary.spanId, parentSpanId: CLIENT_SPAN, name: 'POST predict' });
      const shadows = exported.filter((s) => s.kind === 3);
      expect(shadows.map((s) => s.spanId).sort()).toEqual(copies.map((c) => c.spanId).sort());
      for (const s of shadows) {
        expect(s).toMatchObject({ traceId: CLIENT_TRACE, parentSpanId: primary.spanId, links: [{ traceId: CLIENT_TRACE, spanId: primary.spanId }] });
      }
      // The counter moves when the collector's answer is read, just after it saw the spans.
      const exportedCount = async () => (await gw.app.metrics.traceSpans.get()).values.find((v) => v.labels.outcome === 'exported')?.value ?? 0;
      while ((await exportedCount()) < 3) await new Promise((r) => setTimeout(r, 5));
      expect(await exportedCount()).toBe(3);
    } finally {
      await gw.close();
    }
  });

  it('with tracing.otlp and no client trace, the proxy starts one', async () => {
    const gw = await startFromYaml(yaml(`tracing: { otlp: { endpoint: "${collectorUrl}" } }`));
    const from = live.received.length;
    try {
      await send(gw.url, { method: 'GET', path: '/v1/p' });
      const t = parseTraceparent(live.received.slice(from).find((r) => r.headers['x-shadowgate-shadow'] === undefined)!.headers.traceparent);
      expect(t?.flags).toBe('01');
    } finally {
      await gw.close();
    }
  });
});
