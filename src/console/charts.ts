// The two charts, drawn with uPlot on canvas: latency percentile curves (x: percentile on a "nines"
// scale, y: milliseconds on a log scale) and agreement over the polls of the rolling window.
import uPlot from 'uplot';

const COLORS = { incumbent: '#1f6feb', candidate: '#d1242f', baseline: '#8c959f', agreement: '#1a7f37' } as const;

/** Percentile p as "nines": 0 → 0, 90 → 1, 99 → 2, 99.9 → 3 (capped at 5 so p100 stays on the plot). */
export function nines(p: number): number {
  return Math.min(5, -Math.log10(Math.max(1e-5, 1 - p / 100)));
}

function ninesLabel(x: number): string {
  if (x <= 0) return '0%';
  const p = 100 * (1 - 10 ** -x);
  return x >= 5 ? 'max' : `${Number(p.toPrecision(Math.max(2, Math.round(x) + 1)))}%`;
}

function width(el: HTMLElement): number {
  return Math.max(320, Math.min(900, el.clientWidth || 720));
}

export interface Curves {
  readonly incumbent?: readonly (readonly [number, number])[];
  readonly candidate?: readonly (readonly [number, number])[];
  readonly baseline?: readonly (readonly [number, number])[];
}

export class LatencyChart {
  private plot: uPlot | undefined;
  private roles = '';
  constructor(private readonly el: HTMLElement) {}

  update(curves: Curves): void {
    const roles = (['incumbent', 'candidate', 'baseline'] as const).filter((r) => (curves[r]?.length ?? 0) > 0);
    if (roles.length === 0) return;
    // All curves share the percentile ladder of the first one.
    const ladder = curves[roles[0]!]!.map(([p]) => p);
    const xs = ladder.map(nines);
    const ys = roles.map((r) => {
      const m = new Map(curves[r]!.map(([p, v]) => [p, v] as const));
      return ladder.map((p) => Math.max(0.001, m.get(p) ?? Number.NaN));
    });
    const data: uPlot.AlignedData = [xs, ...ys];
    if (this.plot === undefined || this.roles !== roles.join()) {
      this.plot?.destroy();
      this.roles = roles.join();
      this.plot = new uPlot({
        width: width(this.el), height: 280,
        scales: { x: { time: false }, y: { distr: 3, log: 10 } },
        axes: [
          { label: 'percentile', values: (_u, ticks) => ticks.map(ninesLabel), splits: () => [0, 1, 2, 3, 4, 5] },
          { label: 'latency (ms, log scale)', size: 60 },
        ],
        series: [{ label: 'percentile', value: (_u, v) => (v === null ? '–' : ninesLabel(v)) },
          ...roles.map((r) => ({ label: r === 'incumbent' ? 'control (incumbent)' : r, stroke: COLORS[r], width: 2, points: { show: true }, value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v} ms`) }))],
      }, data, this.el);
    } else {
      this.plot.setData(data);
    }
  }

  destroy(): void {
    this.plot?.destroy();
  }
}

export class AgreementChart {
  private plot: uPlot | undefined;
  private readonly t: number[] = [];
  private readonly agreement: (number | null)[] = [];
  constructor(private readonly el: HTMLElement, private readonly max = 300) {}

  push(atMs: number, agreement: number | null): void {
    this.t.push(atMs / 1000);
    this.agreement.push(agreement);
    if (this.t.length > this.max) {
      this.t.shift();
      this.agreement.shift();
    }
    const data: uPlot.AlignedData = [this.t, this.agreement];
    if (this.plot === undefined) {
      this.plot = new uPlot({
        width: width(this.el), height: 200,
        scales: { y: { range: [0, 1] } },
        axes: [{}, { label: 'agreement', size: 60, values: (_u, ticks) => ticks.map((v) => `${Math.round(v * 100)}%`) }],
        series: [{}, { label: 'agreement (rolling window)', stroke: COLORS.agreement, width: 2, spanGaps: true, value: (_u, v) => (v === null ? '–' : `${(v * 100).toFixed(2)}%`) }],
      }, data, this.el);
    } else {
      this.plot.setData(data);
    }
    // At least a minute wide: the first polls would otherwise stretch one point across years of axis.
    const first = this.t[0]!;
    const last = this.t[this.t.length - 1]!;
    this.plot.setScale('x', { min: Math.min(first, last - 60), max: last + 2 });
  }

  destroy(): void {
    this.plot?.destroy();
  }
}
