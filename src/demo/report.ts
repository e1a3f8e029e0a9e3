// What the demo prints: the progress line and the report's sections (verdict headline, canary,
// anonymization), read from a RouteReport and from the Prometheus samples an operator would scrape.
import { evidenceLine, windowTitle, type RouteReport } from '../compare/index.js';
import { describeRollback } from '../routing/rollout.js';
import type { RouteView } from '../routing/runtime.js';
import { byLabel, sumOf, type PromSample } from '../observe/prom-text.js';
import type { TrafficProgress } from './traffic.js';

/** /admin/report answers one report, an array, or `{ reports: [...] }`: take the route's. */
export function pickReport(body: unknown, route: string): RouteReport | undefined {
  const list: unknown[] = Array.isArray(body) ? body
    : body !== null && typeof body === 'object' && Array.isArray((body as { reports?: unknown }).reports) ? (body as { reports: unknown[] }).reports
      : [body];
  const found = list.find((r) => r !== null && typeof r === 'object' && (r as { route?: unknown }).route === route && 'window' in r);
  return found as RouteReport | undefined;
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const ms = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(2));

/** One line of live progress: rate, statuses, shadow calls and drops, canary weight. */
export function progressLine(route: string, p: TrafficProgress, samples: readonly PromSample[]): string {
  const statuses = Object.entries(p.byStatus).sort().map(([k, v]) => `${k}:${v}`).join(' ') || '-';
  const shadowSent = sumOf(samples, 'shadowgate_shadow_requests_total', { route });
  const dropped = sumOf(samples, 'shadowgate_shadow_dropped_total', { route });
  const weight = sumOf(samples, 'shadowgate_canary_weight_percent', { route });
  return `  ${(p.elapsedMs / 1000).toFixed(1).padStart(5)}s  ${p.rps.toFixed(0).padStart(5)} req/s  ${statuses}${p.errors ? `  failed:${p.errors}` : ''}  shadow calls ${shadowSent} dropped ${dropped}  canary ${weight}%`;
}

/**
 * The headline of the report: what a release manager reads first. Every number in it is the window's,
 * the same span the table below it shows (and the verdict is decided on), and it says which window.
 */
export function headline(report: RouteReport, scope: 'live' | 'dataset' = 'live'): string[] {
  const s = report.window;
  const lines: string[] = [];
  const since = scope === 'dataset' ? '' : `; since start: ${report.sinceStart.verdict}`;
  lines.push(`  verdict: ${report.verdict.toUpperCase()} (${windowTitle(report, scope)}${since}), over ${s.compared} compared answers`);
  if (report.dropped !== undefined) lines.push(`  evidence: ${evidenceLine(report)}`);
  if (s.reasons.length > 0) {
    lines.push(`  because: ${s.reasons.map((r) => `${r.metric} ${r.observed ?? '-'}${r.interval ? ` [${r.interval.low}, ${r.interval.high}]` : ''} (threshold ${r.threshold ?? '-'})`).join('; ')}`);
  }
  if (s.label) {
    const i = s.label.interval;
    lines.push(`  agreement on ${s.label.path}: ${pct(s.label.agreement)}${i ? ` (95% interval ${pct(i.low)} – ${pct(i.high)})` : ''} over ${s.label.observations}`);
  }
  const regressed = s.fields.filter((f) => f.status === 'regression').map((f) => `${f.path} ${pct(f.candidateRate)}`);
  const differs = s.fields.filter((f) => f.status === 'differs').map((f) => `${f.path} ${pct(f.candidateRate)}`);
  const noisy = s.fields.filter((f) => f.status === 'noisy').map((f) => `${f.path} (noise ${pct(f.noiseRate)})`);
  lines.push(`  regressed fields: ${regressed.join(', ') || 'none'}`);
  if (differs.length > 0) lines.push(`  fields that differ, not significantly: ${differs.join(', ')}`);
  lines.push(`  noisy fields (learned from the baseline): ${noisy.join(', ') || (report.hasBaseline ? 'none' : 'none (no baseline configured)')}`);
  for (const h of s.hints) lines.push(`  hint: ${h}`);
  const inc = s.latency.shadow.incumbent;
  const cand = s.latency.shadow.candidate;
  const c = s.latency.comparison;
  lines.push(`  latency ms      p50      p99   (shadow calls)`);
  lines.push(`    incumbent  ${ms(inc?.p50Ms).padStart(7)}  ${ms(inc?.p99Ms).padStart(7)}`);
  lines.push(`    candidate  ${ms(cand?.p50Ms).padStart(7)}  ${ms(cand?.p99Ms).padStart(7)}   → ${c.verdict}${c.ratio !== null ? `, median ratio ${c.ratio}` : ''}${c.pValue !== null ? ` (Mann-Whitney p=${c.pValue})` : ''}`);
  return lines;
}

/** The route's view in `GET /admin/routes` (`{ routes: RouteView[] }`). */
export function routeView(routesBody: unknown, route: string): RouteView | undefined {
  const routes = routesBody !== null && typeof routesBody === 'object' ? (routesBody as { routes?: unknown }).routes : undefined;
  return Array.isArray(routes) ? (routes as RouteView[]).find((r) => r?.name === route) : undefined;
}

export function canaryLines(route: string, routesBody: unknown, samples: readonly PromSample[]): string[] {
  const rollbacks = byLabel(samples, 'shadowgate_canary_rollbacks_total', 'reason', { route }).filter(([, n]) => n > 0);
  const served = byLabel(samples, 'shadowgate_requests_total', 'upstream', { route });
  const view = routeView(routesBody, route);
  const lines: string[] = [];
  if (view) {
    const r = view.rollout;
    lines.push(`  state ${view.state}, weight ${view.weight.value}%${r ? `, rollout step ${r.step + 1}/${r.steps.length} (${r.steps.join(' → ')}%)` : ''}: ${view.status}`);
    if (view.rollback) lines.push(`  ${describeRollback(view.rollback)}`);
    const checks = view.lastEvaluation?.checks ?? [];
    if (checks.length > 0) {
      lines.push(`  guardrails (rollback when the bound passes the max): ${checks.map((c) => `${c.metric} ${c.value === null ? '-' : String(c.value)}`
        + `${c.bound === null || c.bound === undefined ? '' : ` bound ${String(c.bound)}`} (max ${String(c.threshold)}, n=${c.n ?? '-'}) ${c.result}`).join(', ')}`);
    }
  } else {
    lines.push(`  weight ${sumOf(samples, 'shadowgate_canary_weight_percent', { route })}% (no /admin/routes view)`);
  }
  lines.push(`  live requests by upstream: ${served.map(([u, n]) => `${u} ${n}`).join(', ') || 'none'}`);
  lines.push(`  rollbacks: ${rollbacks.map(([r, n]) => `${r} ×${n}`).join(', ') || 'none'}`);
  return lines;
}

export function anonymizationLines(route: string, samples: readonly PromSample[]): string[] {
  const entities = byLabel(samples, 'shadowgate_anonymizer_replacements_total', 'entity', { route }).filter(([, n]) => n > 0);
  const leaks = sumOf(samples, 'shadowgate_anonymizer_leaks_blocked_total', { route });
  const dropped = byLabel(samples, 'shadowgate_shadow_dropped_total', 'reason', { route }).filter(([, n]) => n > 0);
  return [
    `  values replaced: ${entities.map(([e, n]) => `${e} ${n}`).join(', ') || 'none'}`,
    `  copies blocked by the leak guard: ${leaks}`,
    `  shadow copies dropped: ${dropped.map(([r, n]) => `${r} ${n}`).join(', ') || 'none'}`,
  ];
}

