// Routes: every route's weight, rollout state and step, guardrail checks and last rollback; operators
// set the weight, pause, resume, promote and roll back (the last two after a confirmation).
import { api } from '../api.js';
import { arr, badge, fmt, h, num, obj, replace, str, time } from '../dom.js';
import type { Session, Stop } from '../main.js';
import { poll } from '../poll.js';

interface RouteView {
  name: string;
  primary?: string;
  candidate?: string | null;
  weight?: { value?: number; source?: string; config?: number };
  state?: string;
  status?: string;
  rollout?: { step?: number; steps?: number[] } | null;
  rollback?: { metric?: string; value?: unknown; threshold?: unknown; at?: number; by?: string } | null;
  changed?: { at?: number; by?: string } | null;
  lastEvaluation?: { at?: number; checks?: unknown[] } | null;
}

function stepText(r: RouteView): string {
  const steps = arr(r.rollout?.steps).map(num).filter((n): n is number => n !== undefined);
  if (steps.length === 0) return 'no rollout';
  const i = num(r.rollout?.step) ?? 0;
  return `step ${Math.min(i + 1, steps.length)} of ${steps.length} (${steps.map((s, k) => (k === i ? `[${s}%]` : `${s}%`)).join(' → ')})`;
}

function guardrails(r: RouteView): HTMLElement {
  const checks = arr(r.lastEvaluation?.checks).map(obj).filter((c) => c !== undefined);
  return h('div', {},
    r.status ? h('p', { class: 'small' }, r.status) : null,
    checks.length === 0 ? null : h('ul', { class: 'checks' }, checks.map((c) => h('li', {},
      badge(str(c.result) ?? '?'), ` ${str(c.metric) ?? '?'}: ${fmt(c.value)} (threshold ${fmt(c.threshold)})`))));
}

function rollbackText(r: RouteView): string {
  const rb = r.rollback;
  if (!rb) return 'none';
  const who = rb.by === 'guardrail' ? 'by a guardrail' : `by ${rb.by ?? '?'}`;
  if (rb.metric === 'manual') return `manual rollback ${who} at ${time(rb.at)}`;
  const against = rb.threshold === null || rb.threshold === undefined ? '' : ` (threshold ${fmt(rb.threshold)})`;
  return `${rb.metric ?? '?'} ${fmt(rb.value)}${against}: rolled back ${who} at ${time(rb.at)}`;
}

export function showRoutes(main: HTMLElement, session: Session): Stop {
  const tbody = h('tbody');
  const head = ['Route', 'Weight', 'State', 'Rollout step', 'Guardrails', 'Last rollback'];
  if (session.canOperate) head.push('Actions');
  const dialog = confirmDialog();
  replace(main,
    h('h1', {}, 'Routes'),
    h('table', { class: 'routes' },
      h('caption', {}, 'Canary weight and rollout state of every route (refreshed every 2 s)'),
      h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
      tbody),
    session.canOperate ? dialog.el : null);
  // Rows are rebuilt on each poll, except while an operator is typing a weight into one.
  let editing = false;

  const act = async (r: RouteView, label: string, method: string, path: string, body?: unknown) => {
    try {
      const out = await api<{ before?: { weight?: number; state?: string }; after?: { weight?: number; state?: string } }>(method, path, body);
      session.say(`${r.name}: ${label} done: weight ${fmt(out.before?.weight)}% → ${fmt(out.after?.weight)}%, state ${out.before?.state ?? '?'} → ${out.after?.state ?? '?'}`);
    } catch (err) {
      session.fail(err);
    }
    editing = false;
    await refresh();
  };

  const actions = (r: RouteView): HTMLElement => {
    if (r.candidate === null || r.candidate === undefined) return h('span', { class: 'small' }, 'no canary');
    const base = `/admin/routes/${encodeURIComponent(r.name)}`;
    const id = `weight-${r.name}`;
    const input = h('input', { id, type: 'number', min: 0, max: 100, step: 0.01, required: true, value: fmt(r.weight?.value), class: 'weight' });
    input.addEventListener('focus', () => { editing = true; });
    input.addEventListener('blur', () => { editing = false; });
    const form = h('form', { class: 'weight-form', 'aria-label': `Set the canary weight of ${r.name}` },
      h('label', { for: id }, 'Weight %'), input, h('button', { type: 'submit' }, 'Set weight'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const weight = Number(input.value);
      if (!(weight >= 0 && weight <= 100)) return session.say('The weight must be a number from 0 to 100.', 'error');
      void act(r, `weight set to ${weight}%`, 'PUT', `${base}/canary`, { weight });
    });
    const button = (label: string, onClick: () => void, cls = '') => {
      const b = h('button', { type: 'button', class: cls, 'aria-label': `${label} ${r.name}` }, label);
      b.addEventListener('click', onClick);
      return b;
    };
    const hasRollout = r.rollout !== null && r.rollout !== undefined;
    return h('div', { class: 'actions' }, form,
      hasRollout && r.state === 'running' ? button('Pause', () => void act(r, 'pause', 'POST', `${base}/pause`)) : null,
      hasRollout && r.state !== 'running' ? button('Resume', () => void act(r, 'resume', 'POST', `${base}/resume`)) : null,
      button('Promote…', () => dialog.ask(`Promote the candidate of ${r.name}?`,
        `The candidate (${r.candidate}) will serve 100% of live traffic on ${r.name}.`, 'Promote', () => void act(r, 'promote', 'POST', `${base}/promote`))),
      button('Roll back…', () => dialog.ask(`Roll back ${r.name}?`,
        `The candidate (${r.candidate}) will serve no live traffic on ${r.name} until an operator sets a weight or resumes.`, 'Roll back', () => void act(r, 'rollback', 'POST', `${base}/rollback`)), 'danger'));
  };

  const refresh = async () => {
    let routes: RouteView[];
    try {
      routes = arr((await api<{ routes?: unknown }>('GET', '/admin/routes')).routes) as RouteView[];
    } catch (err) {
      return session.fail(err);
    }
    if (editing) return;
    replace(tbody, routes.map((r) => h('tr', { 'data-route': r.name },
      h('th', { scope: 'row' }, h('a', { href: `#/route/${encodeURIComponent(r.name)}` }, r.name),
        h('div', { class: 'small' }, `${r.primary ?? '?'}${r.candidate ? ` vs ${r.candidate}` : ''}`)),
      h('td', { class: 'weight-value' }, `${fmt(r.weight?.value)}%`, h('div', { class: 'small' }, r.weight?.source === 'runtime' ? `set at runtime (config ${fmt(r.weight?.config)}%)` : 'from config')),
      h('td', {}, badge(r.state ?? '?'), r.changed ? h('div', { class: 'small' }, `changed by ${r.changed.by ?? '?'} at ${time(r.changed.at)}`) : null),
      h('td', {}, stepText(r)),
      h('td', {}, guardrails(r)),
      h('td', {}, rollbackText(r)),
      session.canOperate ? h('td', {}, actions(r)) : null)));
  };
  const stop = poll(refresh);
  return stop;
}

/** One modal <dialog> for the confirmations: focus moves in, Escape cancels, focus returns after. */
function confirmDialog(): { el: HTMLDialogElement; ask(title: string, text: string, confirm: string, onConfirm: () => void): void } {
  const title = h('h2', { id: 'confirm-title' });
  const text = h('p', { id: 'confirm-text' });
  const ok = h('button', { type: 'button', class: 'danger' });
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const el = h('dialog', { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' }, title, text, h('div', { class: 'actions' }, cancel, ok));
  let pending: (() => void) | undefined;
  let opener: HTMLElement | null = null;
  ok.addEventListener('click', () => {
    const run = pending;
    pending = undefined;
    el.close();
    run?.();
  });
  cancel.addEventListener('click', () => el.close());
  el.addEventListener('close', () => {
    pending = undefined;
    opener?.focus();
  });
  return {
    el,
    ask(t, body, confirm, onConfirm) {
      opener = document.activeElement as HTMLElement | null;
      title.textContent = t;
      text.textContent = body;
      ok.textContent = confirm;
      pending = onConfirm;
      el.showModal();
      cancel.focus();
    },
  };
}
