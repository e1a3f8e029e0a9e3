// What the detectors read: a normalized view of a string, with a map from every view character back to
// the source range it came from, so a hit found in the view replaces exactly its source characters.
// Two layers, each linear: percent-decoding (two levels: `%2540` → `%40` → `@`; in a query string — after
// a `?` that an `=` follows — a literal `+` is a space, as browsers encode GET forms), then per-code-point
// NFKC (fullwidth `＠`, `４`, NBSP → space), every Unicode decimal digit (\p{Nd}) as its ASCII digit,
// every dash (\p{Pd}: en dash, U+2010, minus-like hyphens) as `-`, and every invisible character — format
// characters (\p{Cf}: U+2063, U+200B, bidi marks, soft hyphen) and the other default-ignorable code points
// (U+034F, variation selectors) — dropped. Plain ASCII without `%` (and without a query `+`) is its own
// view (no copy, no map).
import { BoundedMap } from '../kernel/bounded-map.js';

/** A view of `source`: `text` is what detectors read; characters [i] came from source[start[i], end[i]). */
export interface View {
  readonly text: string;
  /** Undefined when the view is the source itself. */
  readonly start?: readonly number[];
  readonly end?: readonly number[];
}

/** The source range of view range [a, b). */
export function sourceRange(v: View, a: number, b: number): [number, number] {
  if (v.start === undefined || v.end === undefined) return [a, b];
  return [v.start[a]!, v.end[b - 1]!];
}

/** Invisible characters: dropped from the view (a card with U+2063 between its digits is a card). */
const INVISIBLE = /^[\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
const DASH = /^\p{Pd}$/u;

// The value of every non-ASCII decimal digit: \p{Nd} comes in runs of ten code points, 0 to 9. Built on
// first use from the Unicode data in the regex engine (a constant table, never mutated after).
let digitValues: Map<number, number> | undefined;
function digitValue(cp: number): number | undefined {
  if (digitValues === undefined) {
    digitValues = new Map();
    const nd = /\p{Nd}/u;
    for (let c = 0x80; c < 0x20000; c++) {
      if (nd.test(String.fromCodePoint(c))) {
        // A run starts at the code point whose predecessor is not a digit.
        const first = digitValues.has(c - 1) ? c - 1 - digitValues.get(c - 1)! : c;
        digitValues.set(c, c - first);
      }
    }
  }
  return digitValues.get(cp);
}

// NFKC of single code points, memoized (bounded: code points are finite, but the table need not hold them all).
const NFKC_MEMO_MAX = 4096;
const nfkcMemo = new BoundedMap<number, string>(NFKC_MEMO_MAX);
/** What one non-ASCII code point is in the view: '' (invisible), '-' (a dash), or its NFKC form. */
function nfkc(cp: number): string {
  let out = nfkcMemo.get(cp);
  if (out === undefined) {
    const ch = String.fromCodePoint(cp);
    out = INVISIBLE.test(ch) ? '' : DASH.test(ch) ? '-' : ch.normalize('NFKC');
    nfkcMemo.set(cp, out);
  }
  return out;
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One level of percent-decoding: each run of `%XX` escapes that is valid UTF-8 becomes its characters,
 * anything else stays as written. Returns undefined when there is nothing to decode.
 */
function percentLayer(text: string, prevStart: readonly number[] | undefined, prevEnd: readonly number[] | undefined, plus: boolean): View | undefined {
  // A literal `+` after the query's `?` is a space (only at the first level: a `+` decoded from %2B is a plus).
  const plusFrom = plus ? queryStart(text) : -1;
  if (text.indexOf('%') < 0 && plusFrom < 0) return undefined;
  let out = '';
  const start: number[] = [];
  const end: number[] = [];
  const from = (i: number) => prevStart?.[i] ?? i;
  const to = (i: number) => prevEnd?.[i] ?? i + 1;
  let changed = false;
  for (let i = 0; i < text.length;) {
    if (text.charCodeAt(i) === 37) {
      // Collect the run of escapes, decode it as UTF-8; on failure keep it as written.
      const bytes: number[] = [];
      let j = i;
      while (j + 2 < text.length && text.charCodeAt(j) === 37) {
        const h = hex(text.charCodeAt(j + 1));
        const l = hex(text.charCodeAt(j + 2));
        if (h < 0 || l < 0) break;
        bytes.push(h * 16 + l);
        j += 3;
      }
      if (bytes.length > 0) {
        let decoded: string | undefined;
        try { decoded = UTF8.decode(Uint8Array.from(bytes)); } catch { decoded = undefined; }
        if (decoded !== undefined) {
          changed = true;
          // Map each decoded character to the escapes of its own bytes (whole run for simplicity of the
          // multi-byte case: a hit never ends inside a character).
          let b = i;
          for (const ch of decoded) {
            const n = Buffer.byteLength(ch, 'utf8') * 3;
            for (let k = 0; k < ch.length; k++) { start.push(from(b)); end.push(to(b + n - 1)); }
            out += ch;
            b += n;
          }
          i = j;
          continue;
        }
      }
    }
    const plusSpace = plusFrom >= 0 && i > plusFrom && text.charCodeAt(i) === 43;
    if (plusSpace) changed = true;
    out += plusSpace ? ' ' : text[i];
    start.push(from(i));
    end.push(to(i));
    i++;
  }
  return changed ? { text: out, start, end } : undefined;
}

/** The index of the `?` that starts a query string with a `+` in it (an `=` after the `?`), or -1. */
function queryStart(text: string): number {
  const q = text.indexOf('?');
  if (q < 0) return -1;
  const eq = text.indexOf('=', q);
  return eq > q && text.indexOf('+', q) > q ? q : -1;
}

/** NFKC per code point, \p{Nd} → ASCII digit, \p{Pd} → `-`, invisible dropped. Undefined when no character changes. */
function unicodeLayer(text: string, prevStart: readonly number[] | undefined, prevEnd: readonly number[] | undefined): View | undefined {
  // Undefined when every character is its own view (ASCII; Han, Arabic or accented Latin already in NFKC:
  // most non-ASCII text): the view is `text` and the map the layer below's, which is what the map built
  // here would be character for character. A surrogate (astral character) takes the built map: there
  // both its code units map to the whole pair.
  let same = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 127) continue;
    if (c >= 0xd800 && c <= 0xdfff) { same = false; break; }
    if (digitValue(c) !== undefined || nfkc(c) !== text[i]) { same = false; break; }
  }
  if (same) return undefined;
  let out = '';
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const s = prevStart?.[i] ?? i;
    const e = prevEnd?.[i + w - 1] ?? i + w;
    i += w;
    if (cp < 128) { out += String.fromCharCode(cp); start.push(s); end.push(e); continue; }
    const d = digitValue(cp);
    const rep = d !== undefined ? String(d) : nfkc(cp);
    for (let k = 0; k < rep.length; k++) { start.push(s); end.push(e); }
    out += rep;
  }
  return { text: out, start, end };
}

/** The view detectors read for `text` (see the file comment). */
export function viewOf(text: string): View {
  let v: View = { text };
  for (let level = 0; level < 2; level++) {
    const next = percentLayer(v.text, v.start, v.end, level === 0);
    if (next === undefined) break;
    v = next;
  }
  return unicodeLayer(v.text, v.start, v.end) ?? v;
}

/** True when `text` needs no view other than itself (no non-ASCII, `%`, or `+` after a `?`): the cheap common-case test. */
export function plainAscii(text: string): boolean {
  let query = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || c === 37 || (c === 43 && query)) return false;
    if (c === 63) query = true;
  }
  return true;
}
