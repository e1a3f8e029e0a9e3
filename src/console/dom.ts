// The console's only DOM helper: elements from tag, attributes and children. Text always goes in as
// text nodes (never innerHTML): model answers and field paths are data, not markup.
export type Child = Node | string | number | null | undefined | false | readonly Child[];
type AttrValue = string | number | boolean | null | undefined | ((e: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Readonly<Record<string, AttrValue>> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c as readonly Child[]);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : (c as Node));
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Reads a field of unknown JSON without trusting its shape. */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function fmt(v: unknown, digits = 4): string {
  const n = num(v);
  if (n === undefined) return v === null || v === undefined ? '–' : String(v);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(digits)));
}

export function pct(v: unknown): string {
  const n = num(v);
  return n === undefined ? '–' : `${Number((n * 100).toPrecision(3))}%`;
}

export function interval(v: unknown, asPct = false): string {
  const o = obj(v);
  const lo = num(o?.low);
  const hi = num(o?.high);
  if (lo === undefined) return '';
  const f = (x: number) => (asPct ? pct(x) : fmt(x));
  // JSON carries an upper bound nothing bounds yet (Infinity) as null: `≥ low`, or `unbounded` at 0.
  if (hi === undefined) return lo > 0 ? `≥ ${f(lo)}` : 'unbounded';
  return `[${f(lo)}, ${f(hi)}]`;
}

export function time(ms: unknown): string {
  const n = num(ms);
  return n === undefined ? '–' : new Date(n).toLocaleString();
}

/** A status word as a badge: colour for the eye, the word itself for everyone. */
export function badge(word: string): HTMLSpanElement {
  // "differs (not significant)" is styled as "differs"; the words themselves are shown whole.
  const key = (word.split('(')[0] ?? word).trim().replace(/[^a-z]+/gi, '-').toLowerCase();
  return h('span', { class: `badge badge-${key}` }, word);
}
