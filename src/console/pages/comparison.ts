// A route's comparison: the rolling window's verdict and reasons, agreement over time (one point per
// poll), latency percentile curves, the field table, and stored samples side by side with the
// differing fields marked. Every field of the report is read by name and may be missing.
import { api, ApiError } from '../api.js';
import { AgreementChart, LatencyChart, type Curves } from '../charts.js';
import { arr, badge, fmt, h, interval, num, obj, pct, replace, str, time } from '../dom.js';
import type { Session, Stop } from '../main.js';
import { poll } from '../poll.js';

const FIELD_STATES: Readonly<Record<string, string>> = {
  regression: 'the candidate differs clearly more often than the noise (or the threshold without a baseline)',
  noisy: 'two incumbents differ here too: noise, not the candidate',
  differs: 'the candidate differs, but not significantly more than allowed',
};

function pickReport(body: unknown, route: string): Record<string, unknown> | undefined {
  const list = Array.isArray(body) ? body : Array.isArray(obj(body)?.reports) ? (obj(body)!.reports as unknown[]) : [body];
  return list.map(obj).find((r) => r?.route === route);
}

/** Agreement of the window: label agreement when a label is configured, else 1 - disagreement. */
function agreementOf(span: Record<string, unknown> | undefined): number | null {
  const label = num(obj(span?.label)?.agreement);
  if (label !== undefined) return label;
  const d = num(obj(span?.disagreement)?.rate);
  return d === undefined ? null : 1 - d;
}

/** Every check the verdict ran (`checks`, or `reasons` in reports without them), then any hints. */
function reasonsList(span: Record<string, unknown> | undefined): HTMLElement {
  const reasons = arr(Array.isArray(span?.checks) ? span.checks : span?.reasons).map(obj).filter((r) => r !== undefined);
  const hints = arr(span?.hints).filter((x): x is string => typeof x === 'string');
  const failures = Object.entries(obj(span?.failures) ?? {}).flatMap(([role, kinds]) => {
    const parts = Object.entries(obj(kinds) ?? {}).filter(([, n]) => (num(n) ?? 0) > 0).map(([k, n]) => `${fmt(n)} ${k}`);
    return parts.length === 0 ? [] : [`${role}: ${parts.join(', ')}`];
  });
  if (reasons.length === 0) return h('p', {}, 'No checks reported yet.');
  return h('div', {}, h('ul', { class: 'reasons' }, reasons.map((r) => h('li', {},
    badge(str(r.outcome) ?? '?'), ' ',
    h('strong', {}, str(r.metric) ?? 'check'),
    ` ${fmt(r.observed)}`, r.threshold !== null && r.threshold !== undefined ? ` (threshold ${fmt(r.threshold)})` : '',
    ` ${interval(r.interval)}`,
    str(r.detail) ? h('div', { class: 'small' }, str(r.detail)) : null))),
  failures.length === 0 ? null : h('p', { class: 'small' }, `Failed shadow calls (not observations): ${failures.join('; ')}.`),
  hints.length === 0 ? null : h('ul', { class: 'hints', 'aria-label': 'Hints' }, hints.map((t) => h('li', {}, t))));
}

function fieldTable(span: Record<string, unknown> | undefined, hasBaseline: boolean): HTMLElement {
  const fields = arr(span?.fields).map(obj).filter((f) => f !== undefined);
  if (fields.length === 0) return h('p', {}, 'No field differs in this window.');
  return h('table', { class: 'fields' },
    h('caption', {}, `Fields that differ, rolling window (${fmt(span?.compared)} exchanges compared)`),
    h('thead', {}, h('tr', {}, ['Field', 'State', 'Candidate differs', 'Rate [95% interval]', hasBaseline ? 'Noise rate' : 'Noise rate (no baseline)', 'p', 'Kinds']
      .map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, fields.map((f) => {
      const state = str(f.status) ?? '?';
      const kinds = Object.entries(obj(f.kinds) ?? {}).map(([k, n]) => `${k} ${fmt(n)}`).join(', ');
      return h('tr', { class: `field-${state.split(' ')[0]}` },
        h('th', { scope: 'row' }, h('code', {}, str(f.path) ?? '?')),
        h('td', {}, badge(state), h('div', { class: 'small' }, str(f.explanation) ?? str(f.note) ?? FIELD_STATES[state.split(' ')[0] ?? ''] ?? ''),
          str(f.hint) ? h('div', { class: 'small hint' }, str(f.hint)) : null),
        h('td', {}, fmt(f.candidateDiffs)),
        h('td', {}, `${pct(f.candidateRate)} ${interval(f.candidateInterval, true)}`),
        h('td', {}, f.noiseRate === null || f.noiseRate === undefined ? '–' : pct(f.noiseRate)),
        h('td', {}, fmt(f.pValue)),
        h('td', {}, kinds));
    })));
}

function latencyTable(shadow: Record<string, unknown> | undefined): HTMLElement {
  const roles = ['incumbent', 'candidate', 'baseline'].filter((r) => obj(shadow?.[r]) !== undefined);
  if (roles.length === 0) return h('p', {}, 'No shadow latency recorded yet.');
  const cols: [string, string][] = [['count', 'calls'], ['p50Ms', 'p50 ms'], ['p90Ms', 'p90 ms'], ['p99Ms', 'p99 ms'], ['p999Ms', 'p99.9 ms'], ['maxMs', 'max ms']];
  return h('table', { class: 'latency' },
    h('caption', {}, 'Shadow latency, rolling window (same request, same moment)'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Target'), cols.map(([, t]) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, roles.map((r) => h('tr', {}, h('th', { scope: 'row' }, r === 'incumbent' ? 'control (incumbent)' : r),
      cols.map(([k]) => h('td', {}, fmt(obj(shadow?.[r])?.[k])))))));
}

type Flat = Map<string, { value: string; field: string }>;

/** Flattens a JSON body to concrete paths ($.a[0].b) with their normalized field ($.a[*].b). */
function flatten(text: string): Flat | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const out: Flat = new Map();
  const walk = (x: unknown, path: string, field: string) => {
    if (Array.isArray(x)) {
      if (x.length === 0) out.set(path, { value: '[]', field });
      x.forEach((e, i) => walk(e, `${path}[${i}]`, `${field}[*]`));
    } else if (x !== null && typeof x === 'object') {
      const entries = Object.entries(x);
      if (entries.length === 0) out.set(path, { value: '{}', field });
      for (const [k, e] of entries) {
        const seg = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
        walk(e, path + seg, field + seg);
      }
    } else {
      out.set(path, { value: JSON.stringify(x), field });
    }
  };
  walk(v, '$', '$');
  return out;
}

/** A compare.ignore pattern as a RegExp over normalized paths: `*` one segment, `**` anything below, `[*]` any index. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('[*]', i)) {
      re += '\\[\\*\\]';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (glob[i] === '*') {
      re += '[^.\\[]*';
    } else {
      re += glob[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  // A pattern ignores the value at its path and everything under it.
  return new RegExp(`^${re}(?:[.[].*)?$`);
}

/** "Dropped before comparison (since start): overload 64, rate_limited 20 of 384 offered" — a thin verdict says it is thin. */
function droppedLine(report: Record<string, unknown> | undefined): HTMLElement | null {
  const d = obj(report?.dropped);
  const by = Object.entries(obj(d?.byReason) ?? {}).filter(([, n]) => (num(n) ?? 0) > 0);
  if (d === undefined) return null;
  return h('p', { class: 'small dropped' }, by.length === 0 ? 'Shadow copies dropped before comparison (since start): none.'
    : `Shadow copies dropped before comparison (since start): ${by.map(([k, n]) => `${k} ${fmt(n)}`).join(', ')} — not observations; the verdict rests on the compared ones.`);
}

function sideBySide(sample: Record<string, unknown>, field: string, ignore: readonly RegExp[] = []): HTMLElement {
  const inc = obj(sample.incumbent);
  const other = obj(sample.other);
  const otherRole = str(other?.role) ?? 'candidate';
  const req = obj(sample.request);
  const left = flatten(str(inc?.body) ?? '');
  const right = flatten(str(other?.body) ?? '');
  const header = h('p', { class: 'small' }, `${str(req?.method) ?? ''} ${str(req?.url) ?? ''} · request ${str(sample.requestId) ?? '?'} · ${time(sample.ts)} · status ${fmt(inc?.status)} vs ${fmt(other?.status)}`);
  if (left === undefined || right === undefined) {
    return h('div', { class: 'sample' }, header, h('div', { class: 'raw' },
      h('pre', { 'aria-label': 'incumbent answer' }, str(inc?.body) ?? ''), h('pre', { 'aria-label': `${otherRole} answer` }, str(other?.body) ?? '')));
  }
  const paths = [...new Set([...left.keys(), ...right.keys()])].sort();
  return h('div', { class: 'sample' }, header,
    h('table', { class: 'side-by-side' },
      h('caption', {}, `Incumbent and ${otherRole} answers; differing fields are marked`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'incumbent'), h('th', { scope: 'col' }, otherRole))),
      h('tbody', {}, paths.map((p) => {
        const a = left.get(p);
        const b = right.get(p);
        const chosen = (a ?? b)!.field;
        // A field the config ignores is never a difference, whatever its values (a timestamp, an id).
        const ignored = ignore.some((r) => r.test(chosen));
        const differs = !ignored && a?.value !== b?.value;
        const focus = chosen === field || chosen.startsWith(`${field}.`) || chosen.startsWith(`${field}[`);
        return h('tr', { class: `${differs ? 'differs' : ''}${ignored ? ' ignored' : ''}${focus ? ' focus' : ''}` },
          h('th', { scope: 'row' }, h('code', {}, p), differs ? h('span', { class: 'sr-only' }, ' (differs)') : null,
            ignored ? h('span', { class: 'small' }, ' (ignored by compare.ignore)') : null),
          h('td', {}, a?.value ?? h('em', {}, 'missing')),
          h('td', {}, b?.value ?? h('em', {}, 'missing')));
      }))));
}

export function showComparison(main: HTMLElement, session: Session, route: string): Stop {
  const verdictBox = h('section', { 'aria-labelledby': 'verdict-title', class: 'card' });
  const agreementBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Agreement between incumbent and candidate over time' });
  const history = h('ol', { class: 'history', 'aria-label': 'Verdict changes' });
  const latencyBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Latency percentile curves of control and candidate, log scale' });
  const latencyTableBox = h('div');
  const fieldsBox = h('div');
  const samplesBox = h('div');
  const fieldSelect = h('select', { id: 'sample-field' });
  replace(main,
    h('p', {}, h('a', { href: '#/routes' }, '← Routes')),
    h('h1', {}, `${route}: comparison`),
    verdictBox,
    h('section', { 'aria-labelledby': 'agreement-title', class: 'card' }, h('h2', { id: 'agreement-title' }, 'Agreement and verdict over the rolling window'),
      h('p', { class: 'small' }, 'Each window bucket\'s agreement and the verdict as it stood then (from the server, so the chart opens on the whole window), then the rolling window at each refresh.'),
      agreementBox, history),
    h('section', { 'aria-labelledby': 'latency-title', class: 'card' }, h('h2', { id: 'latency-title' }, 'Latency percentiles'), latencyBox, latencyTableBox),
    h('section', { 'aria-labelledby': 'fields-title', class: 'card' }, h('h2', { id: 'fields-title' }, 'Fields'), fieldsBox),
    h('section', { 'aria-labelledby': 'samples-title', class: 'card' }, h('h2', { id: 'samples-title' }, 'Samples side by side'),
      h('label', { for: 'sample-field' }, 'Field '), fieldSelect, samplesBox));
  const latency = new LatencyChart(latencyBox);
  const agreement = new AgreementChart(agreementBox);
  let lastVerdict: string | undefined;
  let seeded = false;
  let samples: Record<string, unknown[]> = {};
  let ignore: RegExp[] = [];

  const showSamples = () => {
    const field = fieldSelect.value;
    const list = arr(samples[field]).map(obj).filter((s) => s !== undefined).slice(0, 3);
    replace(samplesBox, list.length === 0 ? h('p', {}, 'No samples stored for this field yet.') : list.map((s) => sideBySide(s, field, ignore)));
  };
  fieldSelect.addEventListener('change', showSamples);

  const refreshReport = async () => {
    let report: Record<string, unknown> | undefined;
    try {
      report = pickReport(await api('GET', `/admin/report?route=${encodeURIComponent(route)}`), route);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        replace(verdictBox, h('h2', { id: 'verdict-title' }, 'Verdict'), h('p', {}, `No comparison for ${route}: it does not exist or mirrors no traffic.`));
        return;
      }
      return session.fail(err);
    }
    const win = obj(report?.window);
    const since = obj(report?.sinceStart);
    const verdict = str(report?.verdict) ?? str(win?.verdict) ?? 'no report';
    const lengthMs = num(win?.lengthMs);
    replace(verdictBox,
      h('h2', { id: 'verdict-title' }, 'Verdict ', h('span', { class: 'verdict', 'data-verdict': verdict }, badge(verdict))),
      h('p', { class: 'small' }, `Rolling window${lengthMs ? ` of ${fmt(lengthMs / 1000)} s` : ''}: ${fmt(win?.compared)} compared of ${fmt(win?.exchanges)} exchanges.`,
        since ? ` Since start: ${str(since.verdict) ?? '?'}, ${fmt(since.compared)} compared.` : '', ` Updated ${time(report?.generatedAt)}.`),
      droppedLine(report),
      h('h3', {}, 'Checks'), reasonsList(win));
    const now = num(report?.generatedAt) ?? Date.now();
    if (!seeded) {
      // The server's per-bucket history: the page opens on the whole window, not on an empty chart.
      seeded = true;
      for (const p of arr(report?.history).map(obj)) {
        const at = num(p?.fromMs);
        if (at === undefined) continue;
        const a = p?.agreement;
        agreement.push(at, typeof a === 'number' ? a : null);
        const v = str(p?.verdict);
        if (v !== undefined && v !== lastVerdict) {
          history.prepend(h('li', {}, `${time(at)}: `, badge(v)));
          lastVerdict = v;
        }
      }
    }
    agreement.push(now, agreementOf(win));
    if (verdict !== lastVerdict) {
      history.prepend(h('li', {}, `${time(now)}: `, badge(verdict)));
      while (history.children.length > 20) history.lastElementChild?.remove();
      lastVerdict = verdict;
    }
    const shadow = obj(obj(win?.latency)?.shadow);
    const curve = (role: string) => arr(obj(shadow?.[role])?.curve).filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number');
    const curves: Curves = { incumbent: curve('incumbent'), candidate: curve('candidate'), baseline: curve('baseline') };
    latency.update(curves);
    replace(latencyTableBox, latencyTable(shadow));
    replace(fieldsBox, fieldTable(win, report?.hasBaseline === true));
  };

  const refreshSamples = async () => {
    try {
      const body = obj(await api('GET', `/admin/samples?route=${encodeURIComponent(route)}`));
      samples = Object.fromEntries(Object.entries(obj(body?.fields) ?? {}).map(([k, v]) => [k, arr(v)]));
      ignore = arr(body?.ignore).filter((x): x is string => typeof x === 'string').map(globToRegExp);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) samples = {};
      else return session.fail(err);
    }
    const keep = fieldSelect.value;
    const names = Object.keys(samples).sort();
    replace(fieldSelect, names.map((n) => h('option', { value: n, selected: n === keep }, n)));
    if (names.length > 0 && !names.includes(keep)) fieldSelect.value = names[0]!;
    showSamples();
  };

  const stops = [poll(refreshReport), poll(refreshSamples, 10_000)];
  return () => {
    for (const s of stops) s();
    latency.destroy();
    agreement.destroy();
  };
}
