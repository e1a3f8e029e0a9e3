// Datasets: the recorded files with their record counts, and what was dropped on the way, by reason.
import { api } from '../api.js';
import { arr, fmt, h, num, obj, replace, str, time } from '../dom.js';
import type { Session, Stop } from '../main.js';
import { poll } from '../poll.js';

function bytes(n: unknown): string {
  const b = num(n);
  if (b === undefined) return '–';
  return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KB` : `${b} B`;
}

function reasonTable(caption: string, counts: Record<string, unknown> | undefined): HTMLElement {
  // A reason counted 0 is no drop: an all-zero table says "none", not a row of empty counts.
  const rows = Object.entries(counts ?? {}).filter(([, n]) => (num(n) ?? 0) > 0);
  return h('table', { class: 'drops' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Reason'), h('th', { scope: 'col' }, 'Dropped'))),
    h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: 2 }, 'none')) : rows.map(([k, n]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, fmt(n))))));
}

export function showDatasets(main: HTMLElement, session: Session): Stop {
  const body = h('div');
  replace(main, h('h1', {}, 'Datasets'), body);
  return poll(async () => {
    let d: Record<string, unknown> | undefined;
    try {
      d = obj(await api('GET', '/admin/datasets'));
    } catch (err) {
      return session.fail(err);
    }
    const totals = obj(d?.totals);
    const dropped = obj(d?.dropped);
    const files = arr(d?.files).map(obj).filter((f) => f !== undefined);
    replace(body,
      h('p', {}, d?.enabled === true ? `Recording to ${str(d.path) ?? '?'}: ` : 'Recording is off. ',
        `${fmt(totals?.files)} file(s), ${fmt(totals?.records)} records, ${bytes(totals?.bytes)}; ${fmt(d?.written)} records written since start.`,
        num(totals?.uncounted) ? ` ${fmt(totals?.uncounted)} file(s) too large to count now.` : ''),
      h('table', { class: 'files' }, h('caption', {}, 'Dataset files (active and rotated)'),
        h('thead', {}, h('tr', {}, ['File', 'Records', 'Size', 'Modified'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, files.length === 0 ? h('tr', {}, h('td', { colspan: 4 }, 'no files')) : files.map((f) => h('tr', {},
          h('th', { scope: 'row' }, h('code', {}, str(f.name) ?? '?'), f.compressed === true ? ' (gzip)' : ''),
          h('td', {}, f.records === null ? 'not counted' : fmt(f.records)), h('td', {}, bytes(f.bytes)), h('td', {}, time(Date.parse(str(f.modifiedAt) ?? '')))))),
      ),
      h('div', { class: 'row' },
        reasonTable('Dataset records dropped, by reason', obj(dropped?.dataset)),
        reasonTable('Shadow copies dropped before the sandbox, by reason', obj(dropped?.shadow))),
      h('p', {}, `Copies dropped by the leak guard (personal data still found after anonymization): ${fmt(dropped?.leaksBlocked)}.`));
  }, 5000);
}
