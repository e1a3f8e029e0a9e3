// The live path's counters and histogram (observe/live-metrics.ts) count in place and reach prom-client at
// scrape time: what a scrape shows must be exactly what prom-client's own Counter and Histogram show for
// the same calls — names, labels, bucket counts, sums, after a reset, and through the cluster aggregator.
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LiveCounter, LiveHistogram } from '../../src/observe/live-metrics.js';
import { createMetrics } from '../../src/observe/metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The exposition's lines, sorted: the order of series within a family carries no meaning. */
const lines = async (r: { metrics(): Promise<string> }) => (await r.metrics()).split('\n').sort();

const SAMPLES = [0, 0.0005, 0.0007, 0.003, 0.01, 0.011, 0.4, 1, 7.5, 12, 99];

function pair() {
  const plain = new Registry();
  const live = new Registry();
  const make = (registers: Registry[], Live: boolean) => ({
    c: Live
      ? new LiveCounter({ name: 'x_total', help: 'h', labelNames: ['route', 'code'] as const, registers })
      : new Counter({ name: 'x_total', help: 'h', labelNames: ['route', 'code'] as const, registers }),
    h: Live
      ? new LiveHistogram({ name: 'x_seconds', help: 'h', labelNames: ['route', 'role'] as const, buckets: BUCKETS, registers })
      : new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['route', 'role'] as const, buckets: BUCKETS, registers }),
  });
  return { plain, live, a: make([plain], false), b: make([live], true) };
}

describe('LiveCounter and LiveHistogram', () => {
  it('scrape exactly as prom-client does for the same calls, children and object labels alike', async () => {
    const { plain, live, a, b } = pair();
    for (const m of [a, b]) {
      const ok = m.c.labels('r1', '200');
      for (let i = 0; i < 5; i++) ok.inc();
      m.c.labels({ route: 'r2', code: '503' }).inc(2);
      m.c.inc({ route: 'r3', code: '404' });
      m.c.labels('r4', '200').inc(0); // a zero series exists once touched
      m.c.labels('r5', '200'); // an untouched child is not exported
      const h = m.h.labels('r1', 'primary');
      for (const v of SAMPLES) h.observe(v);
      m.h.labels({ route: 'r2', role: 'shadow' }).observe(0.02);
      m.h.observe({ route: 'r3', role: 'shadow' }, 0.3);
    }
    const first = await lines(plain);
    expect(await lines(live)).toEqual(first);
    expect(first).toContain('x_seconds_bucket{le="0.001",route="r1",role="primary"} 3');
    // A second scrape adds nothing twice; more calls after it add up.
    expect(await lines(live)).toEqual(first);
    for (const m of [a, b]) {
      m.c.labels('r1', '200').inc();
      m.h.labels('r1', 'primary').observe(0.2);
    }
    expect(await lines(live)).toEqual(await lines(plain));
    const byLabels = (json: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) => json.map((m) => ({ ...m, values: [...m.values].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))) }));
    expect(byLabels(await live.getMetricsAsJSON())).toEqual(byLabels(await plain.getMetricsAsJSON()));
  });

  it('start again from zero on reset, counts pending at the reset included, and remove a child', async () => {
    const { plain, live, a, b } = pair();
    for (const m of [a, b]) {
      m.c.labels('r1', '200').inc(3);
      m.h.labels('r1', 'primary').observe(0.2);
    }
    plain.resetMetrics();
    live.resetMetrics();
    for (const m of [a, b]) {
      m.c.labels('r1', '200').inc();
      m.h.labels('r1', 'primary').observe(0.004);
      m.h.labels('r2', 'primary').observe(0.004);
    }
    expect(await lines(live)).toEqual(await lines(plain));
    for (const m of [a, b]) {
      m.h.remove('r2', 'primary');
      m.c.remove('r1', '200');
      m.h.labels('r1', 'primary').observe(3);
    }
    expect(await lines(live)).toEqual(await lines(plain));
  });

  it('aggregate across cluster workers as prom-client metrics do', async () => {
    const workers = [pair(), pair()];
    workers.forEach(({ a, b }, i) => {
      for (const m of [a, b]) {
        m.c.labels('r1', '200').inc(i + 1);
        m.h.labels('r1', 'primary').observe(0.001 * (i + 1));
      }
    });
    const plain = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.plain.getMetricsAsJSON())));
    const live = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.live.getMetricsAsJSON())));
    expect(await lines(live)).toEqual(await lines(plain));
  });

  it('keep the shadowgate metric families and their label names', async () => {
    const m = createMetrics(new Registry(), { defaults: false });
    m.requests.labels('predict', 'incumbent', '200').inc();
    m.requestDuration.labels('predict', 'incumbent', 'primary').observe(0.003);
    m.canaryDecisions.labels('predict', 'candidate', 'weight').inc();
    const text = await m.registry.metrics();
    expect(text).toContain('shadowgate_requests_total{route="predict",upstream="incumbent",code="200"} 1');
    expect(text).toContain('shadowgate_request_duration_seconds_bucket{le="0.005",route="predict",upstream="incumbent",role="primary"} 1');
    expect(text).toContain('shadowgate_request_duration_seconds_count{route="predict",upstream="incumbent",role="primary"} 1');
    expect(text).toContain('shadowgate_canary_decisions_total{route="predict",target="candidate",reason="weight"} 1');
  });
});
