// Email addresses. Starts only at a token boundary and every quantifier is bounded, so a run such as
// `a@a@a…` costs a constant per position.
import { regexHits, type Span } from './types.js';

// Internationalized addresses too (EAI local parts, IDN domains: maría@correo-münchen.de), letters and
// marks of any script; the text is NFKC-normalized before (fullwidth ＠ is @).
const DOMAIN = '[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N}\\-]{0,62}[\\p{L}\\p{M}\\p{N}])?(?:\\.[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N}\\-]{0,62}[\\p{L}\\p{M}\\p{N}])?){0,6}\\.(?:\\p{L}{2,24}|xn--[a-z0-9\\-]{1,59})(?![\\p{L}\\p{M}\\p{N}\\-])';
/** The address regex, as a global regex would run it over the text (the tests' reference). */
export const EMAIL_SOURCE = `(?<![\\p{L}\\p{M}\\p{N}._%+\\-])[\\p{L}\\p{M}\\p{N}._%+\\-]{1,64}@${DOMAIN}`;
// Tried only where an address can start (see detectEmail): sticky.
const EMAIL_AT = new RegExp(EMAIL_SOURCE, 'uy');
// A quoted local part (RFC 5321): "john.doe"@example.com, "john doe"@example.com.
const QUOTED = new RegExp(`"[^"\\\\\\r\\n]{1,64}"@${DOMAIN}`, 'gu');

const LETTER_MARK_NUMBER = /[\p{L}\p{M}\p{N}]/u;
const LETTER_NUMBER = /[\p{L}\p{N}]/u;

/** The code point that ends at `p` and its length in code units (a lone surrogate is its own code point). */
function pointBefore(text: string, p: number): [number, number] {
  const c = text.charCodeAt(p - 1);
  if (c >= 0xdc00 && c <= 0xdfff && p >= 2) {
    const h = text.charCodeAt(p - 2);
    if (h >= 0xd800 && h <= 0xdbff) return [((h - 0xd800) << 10) + (c - 0xdc00) + 0x10000, 2];
  }
  return [c, 1];
}

/** A character of a local part: `[\p{L}\p{N}._%+\-]`, with marks (`\p{M}`) when `marks`. */
function localChar(cp: number, marks: boolean): boolean {
  if (cp < 128) {
    return (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || (cp >= 48 && cp <= 57) || cp === 46 || cp === 95 || cp === 37 || cp === 43 || cp === 45;
  }
  return (marks ? LETTER_MARK_NUMBER : LETTER_NUMBER).test(String.fromCodePoint(cp));
}

/**
 * Where the run of local-part characters that ends at `at` starts, walking back at most `max` code points
 * and never before `floor`; `n` its length in code points. A run longer than `max` stops at `max`.
 */
function runBefore(text: string, at: number, floor: number, max: number, marks: boolean): { start: number; n: number; longer: boolean } {
  let p = at;
  let n = 0;
  while (p > floor) {
    const [cp, w] = pointBefore(text, p);
    if (!localChar(cp, marks)) return { start: p, n, longer: false };
    if (n === max) return { start: p, n, longer: true };
    p -= w;
    n++;
  }
  return { start: p, n, longer: false };
}

/**
 * Exactly the hits of EMAIL_SOURCE run as a global regex, without trying it at every position: a match's
 * local part is a whole run of local-part characters (the look-behind excludes one before it, and `@` is
 * none), so it starts where the run that ends at an `@` starts, and only when that run is 1–64 code points
 * long. Each `@` in order: its run's start, skipped when before the last match's end (where a global regex
 * would resume) or too long; the sticky regex there decides. Linear: each `@` looks back ≤ 65 code points.
 */
export function detectEmail(text: string, out: Span[]): void {
  let at = text.indexOf('@');
  if (at < 0) return;
  let resume = 0;
  for (; at >= 0; at = text.indexOf('@', at + 1)) {
    const run = runBefore(text, at, 0, 64, true);
    if (run.n === 0 || run.longer || run.start < resume) continue;
    EMAIL_AT.lastIndex = run.start;
    const m = EMAIL_AT.exec(text);
    if (m === null) continue;
    resume = run.start + m[0].length;
    out.push({ start: run.start, end: resume, entity: 'email' });
  }
  if (text.indexOf('"@') >= 0) regexHits(QUOTED, 'email', text, out);
}

/** The local-part-and-domain-label shape that names a person's address (see localParts). */
export const LOCAL_SOURCE = '([\\p{L}\\p{N}._%+\\-]{3,64})@[\\p{L}\\p{N}\\-]{1,63}\\.';
const LOCAL_DOMAIN = /@[\p{L}\p{N}\-]{1,63}\./uy;

/**
 * The first `max` local parts of LOCAL_SOURCE run as a global regex (group 1, lower-cased), found from
 * each `@`: there is no look-behind, so a match starts at the leftmost position from which 3–64 local
 * characters reach the `@` — the run's start, or 64 code points back, but not before the last match's end.
 */
export function localParts(text: string, max: number): string[] {
  const out: string[] = [];
  let resume = 0;
  for (let at = text.indexOf('@'); at >= 0 && out.length < max; at = text.indexOf('@', at + 1)) {
    const run = runBefore(text, at, resume, 64, false);
    if (run.n < 3) continue;
    LOCAL_DOMAIN.lastIndex = at;
    const m = LOCAL_DOMAIN.exec(text);
    if (m === null) continue;
    out.push(text.slice(run.start, at).toLowerCase());
    resume = at + m[0].length;
  }
  return out;
}
