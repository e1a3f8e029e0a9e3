// Experiments: each one's state, hypothesis and criteria one by one (met / not met / pending, with the
// value, the bounds it is judged on and n), the sample against the sample a pass needs, and the reasons.
// Sections of the evaluation or the route's analysis this page does not know by name — `quality`,
// `slices`, whatever a later build adds — are shown generically as tables.
import { api } from '../api.js';
import { arr, badge, fmt, h, interval, num, obj, replace, str, type Child } from '../dom.js';
import type { Session, Stop } from '../main.js';
import { poll } from '../poll.js';

/** Extra sections rendered generically when present (in the evaluation or the route's analysis). */
const GENERIC = ['quality', 'slices'] as const;
const MAX_ROWS = 200;

function cell(v: unknown): Child {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return fmt(v);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  const o = obj(v);
  if (o !== undefined && num(o.low) !== undefined) return interval(o);
  return h('code', {}, JSON.stringify(v));
}

/** Any JSON as tables: a list of objects is one table (columns: their keys); an object of lists, one table each; scalars, a key/value table. */
export function genericTable(title: string, v: unknown): HTMLElement {
  const rows = arr(v).map(obj).filter((r): r is Record<string, unknown> => r !== undefined);
  if (rows.length > 0) {
    const cols = [...new Set(rows.slice(0, MAX_ROWS).flatMap((r) => Object.keys(r)))];
    return h('table', { class: 'generic', 'data-section': title },
      h('caption', {}, title),
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.slice(0, MAX_ROWS).map((r) => h('tr', {}, cols.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, cell(r[c])) : h('td', {}, cell(r[c]))))))));
  }
  const o = obj(v);
  if (o === undefined) return h('p', { 'data-section': title }, `${title}: `, cell(v));
  const nested = Object.entries(o).filter(([, x]) => Array.isArray(x) && x.some((y) => obj(y) !== undefined));
  const flat = Object.entries(o).filter(([, x]) => !(Array.isArray(x) && x.some((y) => obj(y) !== undefined)));
  return h('div', { class: 'generic-group', 'data-section': title },
    flat.length > 0 ? h('table', { class: 'generic' }, h('caption', {}, title),
      h('tbody', {}, flat.map(([k, x]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, cell(x)))))) : null,
    nested.map(([k, x]) => genericTable(`${title}: ${k}`, x)));
}

function statusWord(s: unknown): string {
  return s === 'pass' ? 'met' : s === 'fail' ? 'not met' : 'pending';
}

function criteriaTable(id: string, evaluation: Record<string, unknown> | undefined, configured: unknown[]): HTMLElement {
  const judged = arr(evaluation?.criteria).map(obj);
  const rows = (judged.length > 0 ? judged : configured.map(obj)).filter((c): c is Record<string, unknown> => c !== undefined);
  return h('table', { class: 'criteria', 'data-experiment': id },
    h('caption', {}, 'Success criteria, one by one (judged on the bounds, never the point estimate)'),
    h('thead', {}, h('tr', {}, ['Criterion', 'Status', 'Value', 'Bounds', 'n', 'Confidence'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((c) => {
      const word = statusWord(c.status);
      return h('tr', { 'data-status': str(c.status) ?? 'pending' },
        h('th', { scope: 'row' }, `${str(c.metric) ?? '?'} ${str(c.comparator) ?? ''} ${fmt(c.threshold)}`),
        h('td', {}, h('span', { class: `badge badge-${word === 'met' ? 'pass' : word === 'not met' ? 'fail' : 'inconclusive'}` }, word)),
        h('td', {}, fmt(c.value)), h('td', {}, interval(c.bounds) || '–'), h('td', {}, fmt(c.n)), h('td', {}, fmt(c.confidence)));
    })));
}

function sampleLine(e: Record<string, unknown> | undefined): string {
  if (e === undefined) return 'No evaluation yet.';
  const from = str(e.minSamplesFrom);
  const need = num(e.minSamples) === undefined ? 'an unknown minimum' : `${fmt(e.minSamples)} needed${from === 'power' ? ' (the power calculation)' : from === 'experiment' ? ' (the experiment\'s minSamples)' : from === 'verdict' ? ' (the verdict\'s minimum)' : ''}`;
  return `${fmt(e.samples)} compared exchanges; ${need}. Outcome ${str(e.outcome) ?? '–'}.`;
}

function experimentSection(e: Record<string, unknown>, evaluation: Record<string, unknown> | undefined, analysis: Record<string, unknown> | undefined): HTMLElement {
  const id = str(e.id) ?? '?';
  const state = str(e.state) ?? '?';
  const outcome = str(e.outcome);
  const titleId = `experiment-${id.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const generic = GENERIC.flatMap((k) => {
    const v = evaluation?.[k] ?? analysis?.[k];
    return v === undefined || v === null ? [] : [genericTable(k, v)];
  });
  return h('section', { class: 'experiment', 'aria-labelledby': titleId, 'data-experiment': id },
    h('h2', { id: titleId }, id, ' ', badge(state), outcome ? [' ', badge(outcome)] : null),
    h('p', { class: 'hypothesis' }, h('strong', {}, 'Hypothesis: '), str(e.hypothesis) ?? '–'),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Route'), h('dd', {}, h('a', { href: `#/route/${encodeURIComponent(str(e.route) ?? '')}` }, str(e.route) ?? '?'), str(e.candidate) ? ` (candidate ${str(e.candidate)!})` : ''),
      h('dt', {}, 'Owner'), h('dd', {}, str(e.owner) ?? '–'),
      h('dt', {}, 'Proposed by'), h('dd', {}, str(e.proposedBy) ?? '–'),
      h('dt', {}, 'Approved by'), h('dd', {}, str(e.approvedBy) ?? 'not yet'),
      h('dt', {}, 'Privacy risk assessment'), h('dd', {}, str(e.privacyRiskAssessment) ?? '–'),
      h('dt', {}, 'Rollback plan'), h('dd', {}, str(e.rollbackPlan) ?? '–')),
    criteriaTable(id, evaluation, arr(e.criteria)),
    h('p', { class: 'sample' }, state === 'concluded' ? 'At its conclusion: ' : 'On the live report now: ', sampleLine(evaluation)),
    arr(evaluation?.reasons).length > 0 ? h('ul', { class: 'experiment-reasons' }, arr(evaluation?.reasons).map((r) => h('li', {}, String(r)))) : null,
    generic);
}

export function showExperiments(main: HTMLElement, session: Session): Stop {
  const body = h('div');
  replace(main, h('h1', {}, 'Experiments'), body);
  return poll(async () => {
    let list: Record<string, unknown>[];
    try {
      list = arr(obj(await api('GET', '/admin/experiments'))?.experiments).map(obj).filter((e): e is Record<string, unknown> => e !== undefined);
    } catch (err) {
      return session.fail(err);
    }
    // Newest last in the registry: show the newest first, a bounded number of them.
    const shown = list.slice(-20).reverse();
    const details = await Promise.all(shown.map(async (e) => {
      const id = encodeURIComponent(str(e.id) ?? '');
      const route = encodeURIComponent(str(e.route) ?? '');
      const [detail, analysis] = await Promise.all([
        api('GET', `/admin/experiments/${id}`).catch(() => undefined),
        api('GET', `/admin/analysis/${route}`).catch(() => undefined),
      ]);
      return { e, evaluation: obj(obj(detail)?.current) ?? obj(e.conclusion), analysis: obj(analysis) };
    }));
    replace(body,
      shown.length === 0 ? h('p', {}, 'No experiment yet. Propose one with POST /admin/experiments (docs/experiments.md).') : null,
      h('table', { class: 'experiments' }, h('caption', {}, 'Experiments, newest first'),
        h('thead', {}, h('tr', {}, ['Experiment', 'Route', 'State', 'Outcome', 'Criteria met'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, details.map(({ e, evaluation }) => {
          const judged = arr(evaluation?.criteria).map(obj);
          return h('tr', { 'data-experiment': str(e.id) ?? '' },
            h('th', { scope: 'row' }, str(e.id) ?? '?'),
            h('td', {}, str(e.route) ?? '?'), h('td', {}, badge(str(e.state) ?? '?')), h('td', {}, str(e.outcome) ? badge(str(e.outcome)!) : '–'),
            h('td', {}, `${judged.filter((c) => c?.status === 'pass').length} of ${arr(e.criteria).length}`));
        }))),
      details.map(({ e, evaluation, analysis }) => experimentSection(e, evaluation, analysis)));
  }, 5000);
}
