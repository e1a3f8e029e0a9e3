// The report as a terminal table (`shadowgate report`, `shadowgate replay`): the verdict and its
// reasons first, then fields, latency and errors — the rolling window, which is what matters now.
import type { Interval } from './stats.js';
import { describeFailures, formatBounds, type FieldReport, type LatencySummary, type Reason, type RouteReport, type SpanReport, type Verdict } from './report.js';

const COLORS = { red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' } as const;

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => '  ' + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

const num = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined ? '-' : String(Number(x.toPrecision(digits))));
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const pctInterval = (i: Interval | null): string => (i ? formatBounds(i, pct) : '');

function latencyRow(name: string, s: LatencySummary): string[] {
  return [name, String(s.count), num(s.minMs), num(s.p50Ms), num(s.p90Ms), num(s.p99Ms), num(s.p999Ms), num(s.maxMs)];
}

/** The field states, as the table shows them and what each means. */
const FIELD_STATES: Readonly<Record<FieldReport['status'], { readonly label: string; readonly meaning: string }>> = {
  regression: { label: 'regression', meaning: 'the candidate differs significantly more often than the noise (or, with no baseline, than absThreshold): fails the verdict' },
  differs: { label: 'differs (not significant)', meaning: 'differs sometimes, not significantly beyond the threshold: does not affect the verdict' },
  noisy: { label: 'noisy', meaning: 'the incumbent differs from itself here too (baseline), about as often: noise, does not affect the verdict' },
};

/** ` [a, b]`, ` ≥ a` or ` unbounded` (a JSON report carries a missing upper bound as null). */
const interval = (i: Interval | null): string => (i ? ` ${formatBounds(i, (x) => num(x))}` : '');

function describeCheck(r: Reason): string {
  return `${r.metric}: ${num(r.observed)}${interval(r.interval)} (threshold ${num(r.threshold)}, n=${r.n})${describePower(r)}`;
}

/** "; finds ≥ 0.08 now; 0.1 needs 1,240 (~900 more)": what the check can see, and what the planned effect needs. */
export function describePower(r: Reason): string {
  const p = r.power;
  if (p === undefined) return '';
  const now = p.detectable === null ? '' : `finds ≥ ${num(p.detectable)} now`;
  const when = p.etaMs ? `, ~${p.etaMs < 120_000 ? `${Math.round(p.etaMs / 1000)} s` : p.etaMs < 7_200_000 ? `${Math.round(p.etaMs / 60_000)} min` : `${Math.round(p.etaMs / 3_600_000)} h`} at the current rate` : '';
  const plan = p.needed === null ? `${num(p.target)} is not past the threshold` : `${num(p.target)} needs n=${p.needed}${p.more ? ` (~${p.more} more${when})` : ''}`;
  return `; power: ${now ? `${now}, ` : ''}${plan}`;
}

function renderSpan(span: SpanReport, title: string, paint: (color: keyof typeof COLORS, text: string) => string): string[] {
  const lines: string[] = [];
  const mark = { ok: paint('green', 'ok  '), marginal: paint('yellow', 'warn'), fail: paint('red', 'FAIL'), insufficient: paint('dim', 'n/a ') } as const;
  lines.push(`  ${paint('bold', title)}: exchanges ${span.exchanges}  compared ${span.compared}  match ${span.results.match}  mismatch ${span.results.mismatch}  error ${span.results.error}  incomplete ${span.results.incomplete}`);
  const failed = describeFailures(span.failures);
  if (failed) lines.push(`  calls that failed (not observations): ${failed}`);
  lines.push('', paint('bold', `  checks (${title}; the verdict's reasons are those not ok)`));
  for (const r of span.checks) lines.push(`  ${mark[r.outcome]} ${describeCheck(r)} ${paint('dim', r.detail)}`);
  if (span.fields.length > 0) {
    lines.push('', paint('bold', `  fields (${title})`));
    const rows = span.fields.slice(0, 25).map((f) => [
      f.status === 'regression' ? paint('red', FIELD_STATES[f.status].label) : FIELD_STATES[f.status].label, f.path, `${pct(f.candidateRate)} ${pctInterval(f.candidateInterval)}`,
      f.noiseRate === null ? '-' : pct(f.noiseRate), Object.entries(f.kinds).map(([k, n]) => `${k}:${n}`).join(' '),
    ]);
    lines.push(...table([['status', 'path', 'candidate diff rate', 'noise', 'kinds'], ...rows]));
    if (span.fields.length > 25) lines.push(`  … ${span.fields.length - 25} more fields`);
    const shown = new Set(span.fields.slice(0, 25).map((f) => f.status));
    for (const status of ['regression', 'differs', 'noisy'] as const) {
      if (shown.has(status)) lines.push(paint('dim', `    ${FIELD_STATES[status].label}: ${FIELD_STATES[status].meaning}`));
    }
  }
  for (const h of span.hints) lines.push(`  ${paint('yellow', 'hint')} ${h}`);
  if (span.label) {
    lines.push('', `  label ${span.label.path}: agreement ${pct(span.label.agreement)} ${pctInterval(span.label.interval)} over ${span.label.observations}`);
    const off = span.label.confusion.filter((c) => c.incumbent !== c.candidate).slice(0, 10);
    for (const c of off) lines.push(`    ${c.incumbent} → ${c.candidate}: ${c.count}`);
  }
  for (const s of span.scores) {
    lines.push(`  score ${s.path}: mean delta ${num(s.meanDelta)}${interval(s.meanDeltaInterval)}  |delta| mean ${num(s.meanAbsDelta)} p50 ${num(s.p50AbsDelta)} p99 ${num(s.p99AbsDelta)}  n=${s.n}`);
  }
  for (const t of span.text) lines.push(`  text ${t.path}: mean similarity ${num(t.meanSimilarity)}, ${t.belowThreshold}/${t.n} below threshold`);
  for (const k of span.topK) lines.push(`  topK ${k.path}: mean overlap ${num(k.meanOverlap)} over ${k.n}`);
  const lat = span.latency;
  const rows = [[`latency ms (${title})`, 'count', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max']];
  for (const [role, s] of Object.entries(lat.shadow)) rows.push(latencyRow(`shadow ${role}`, s));
  for (const [upstream, s] of Object.entries(lat.primary)) rows.push(latencyRow(`primary ${upstream}`, s));
  if (rows.length > 1) lines.push('', ...table(rows));
  const c = lat.comparison;
  lines.push(`  candidate vs incumbent: ${c.verdict}, median ratio ${num(c.ratio)}${interval(c.ratioInterval)}, shift ${num(c.shiftMs)} ms${interval(c.shiftIntervalMs)}, p99 ratio ${num(c.p99Ratio)}${interval(c.p99RatioInterval)}, mean ratio ${num(c.meanRatio)}, p=${num(c.pValue)}`);
  const e = span.errors;
  lines.push(`  errors: incumbent ${pct(e.incumbent.rate)} ${pctInterval(e.incumbent.interval)}, candidate ${pct(e.candidate.rate)} ${pctInterval(e.candidate.interval)}${e.baseline ? `, baseline ${pct(e.baseline.rate)}` : ''}`
    + `; difference ${e.delta === null ? '-' : `${e.delta >= 0 ? '+' : ''}${pct(e.delta)}`} ${pctInterval(e.deltaInterval)}`);
  if (span.statusMismatches.length > 0) {
    lines.push(`  status mismatches: ${span.statusMismatches.slice(0, 10).map((s) => `${s.incumbent}→${s.candidate} ×${s.count}`).join(', ')}`);
  }
  return lines;
}

/** "300 compared of 384 exchanges; copies dropped before comparison (since start): overload 64, rate_limited 20". */
export function evidenceLine(r: RouteReport): string {
  const base = `${r.window.compared} compared of ${r.window.exchanges} exchanges`;
  if (r.dropped === undefined) return base;
  const by = Object.entries(r.dropped.byReason).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  return `${base}; copies dropped before comparison (since start): ${by.length === 0 ? 'none' : by.map(([k, n]) => `${k} ${n}`).join(', ')}`;
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** The window's name as every section of the report repeats it. */
export function windowTitle(r: RouteReport, scope: 'live' | 'dataset' = 'live'): string {
  if (scope === 'dataset') return 'whole dataset';
  const minutes = Math.round(r.window.lengthMs / 60_000);
  return `last ${minutes} min, ${clock(r.window.fromMs)}–${clock(r.window.toMs)} UTC`;
}

/** `scope: 'dataset'` for offline replay, where the window holds the whole dataset, not recent minutes. */
export function renderReport(reports: readonly RouteReport[], opts: { color?: boolean; scope?: 'live' | 'dataset' } = {}): string {
  const paint = (color: keyof typeof COLORS, text: string) => (opts.color ? `${COLORS[color]}${text}${COLORS.reset}` : text);
  const verdictColor: Record<Verdict, keyof typeof COLORS> = { pass: 'green', marginal: 'yellow', fail: 'red', 'insufficient data': 'dim' };
  const out: string[] = [];
  for (const r of reports) {
    const title = windowTitle(r, opts.scope);
    const history = opts.scope === 'dataset' ? '' : `  (since start: ${r.sinceStart.verdict})`;
    out.push(`${paint('bold', `route ${r.route}`)}  verdict ${paint(verdictColor[r.verdict], r.verdict.toUpperCase())} (${title})${history}${r.hasBaseline ? '  noise baseline: on' : ''}`);
    if (r.window.reasons.length > 0) out.push(`  because: ${r.window.reasons.map((x) => `${x.metric} ${num(x.observed)}${interval(x.interval)} vs ${num(x.threshold)}`).join('; ')}`);
    out.push(`  evidence: ${evidenceLine(r)}`);
    out.push(...renderSpan(r.window, title, paint), '');
  }
  if (reports.length === 0) out.push('no routes compare anything yet', '');
  return out.join('\n');
}
