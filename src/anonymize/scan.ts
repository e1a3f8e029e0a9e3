// The text scanner: runs only the detectors whose cheap prefilter passes (one pass over the char codes),
// then resolves overlaps by entity priority so each character belongs to at most one span.
import { detectAddress } from './detectors/address.js';
import { detectCard, type CardOptions } from './detectors/card.js';
import { detectDob } from './detectors/dob.js';
import { detectGeo } from './detectors/geo.js';
import { detectNino, detectPassport } from './detectors/ids.js';
import { detectPostcode } from './detectors/postcode.js';
import { detectEmail } from './detectors/email.js';
import { detectIban } from './detectors/iban.js';
import { detectIp } from './detectors/ip.js';
import { detectJwt } from './detectors/jwt.js';
import { detectMac } from './detectors/mac.js';
import { detectPerson, isProse, mayNameInLowerCase } from './detectors/person.js';
import { detectPhone } from './detectors/phone.js';
import { detectSecrets } from './detectors/secrets.js';
import { detectSsn } from './detectors/ssn.js';
import type { Entity, Span } from './detectors/types.js';
import { plainAscii, sourceRange, viewOf } from './normalize.js';

// A postcode ranks below an address: inside an address block the whole block goes, not only its postcode.
const PRIORITY: Readonly<Record<Entity, number>> = {
  secret: 0, jwt: 1, url_credentials: 2, email: 3, iban: 4, card: 5, ssn: 6, nino: 7, passport: 8, ip: 9, mac: 10,
  geo: 11, dob: 12, address: 13, postcode: 14, phone: 15, person: 16, id: 17, credential: 18,
};

export interface ScanOptions {
  /** Free-text detectors (person, address) are the costly, fuzzy ones; header values skip them. */
  readonly names?: boolean;
  /**
   * A structured value (JSON, form or query) rather than free text: unless it reads like prose, a name
   * needs stronger evidence (see detectPerson). Finds a subset of what a free-text scan finds.
   */
  readonly structured?: boolean;
  /** The policy's card networks (UATP off unless it says so). */
  readonly cards?: CardOptions;
}

const withCardsMemo = new WeakMap<ScanOptions, ScanOptions>();
const NO_OPTIONS: ScanOptions = {};
/** `opts` with the policy's card options (one object per (opts, cards) pair: no allocation per scan). */
export function withCards(opts: ScanOptions | undefined, cards: CardOptions | undefined): ScanOptions | undefined {
  if (cards === undefined || cards.uatp !== true) return opts;
  const base = opts ?? NO_OPTIONS;
  let out = withCardsMemo.get(base);
  if (out === undefined) {
    out = { ...base, cards };
    withCardsMemo.set(base, out);
  }
  return out;
}

export interface Flags { digits: number; upper: boolean; at: boolean; colon: boolean; dash: boolean; dot: boolean }

// Every detector gate compares `digits` with a threshold of at most 9: a long text counts no further.
const DIGITS_ENOUGH = 9;
const DIGIT = /[0-9]/g;
// What the loop below counts as `upper`: an ASCII capital or any code unit above ASCII.
const UPPER_OR_WIDE = /[A-Z\u0080-\uffff]/;

/**
 * flagsOf for a long text, by the regex engine's and indexOf's native scans (each stops at its first hit):
 * the same flags, `digits` counted up to DIGITS_ENOUGH.
 */
export function longFlagsOf(text: string): Flags {
  let digits = 0;
  DIGIT.lastIndex = 0;
  while (digits < DIGITS_ENOUGH && DIGIT.test(text)) digits++;
  return {
    digits, upper: UPPER_OR_WIDE.test(text), at: text.indexOf('@') >= 0, colon: text.indexOf(':') >= 0,
    dash: text.indexOf('-') >= 0, dot: text.indexOf('.') >= 0,
  };
}

/** One pass over the char codes: what kinds of characters the text holds decides which detectors run. */
export function flagsOf(text: string): Flags {
  const f: Flags = { digits: 0, upper: false, at: false, colon: false, dash: false, dot: false };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) f.digits++;
    else if (c >= 65 && c <= 90) f.upper = true;
    else if (c === 64) f.at = true;
    else if (c === 58) f.colon = true;
    else if (c === 45) f.dash = true;
    else if (c === 46) f.dot = true;
    else if (c > 127) f.upper = true; // non-ASCII capitals (Š, Ö) are checked by the regex itself
  }
  return f;
}

/** False when no detector could fire on `text` (cheaper than any cache lookup for short plain words). */
export function mightContain(text: string, opts: ScanOptions = {}): boolean {
  if (text.length >= 15 || !plainAscii(text)) return true;
  const f = flagsOf(text);
  return f.at || f.digits >= 4 || f.colon || f.dash || (f.upper && opts.names !== false);
}

/**
 * Non-overlapping spans of every entity found in `text`, in text order, in `text`'s coordinates. The
 * detectors read its normalized view (normalize.ts); a span's `value` is what they read when it differs.
 */
export function scanText(text: string, opts: ScanOptions = {}): Span[] {
  if (plainAscii(text)) return scanView(text, opts);
  const v = viewOf(text);
  if (v.start === undefined) return scanView(text, opts);
  const spans = scanView(v.text, opts);
  for (const s of spans) {
    const value = v.text.slice(s.start, s.end);
    [s.start, s.end] = sourceRange(v, s.start, s.end);
    if (text.slice(s.start, s.end) !== value) s.value = value;
  }
  // Two view spans may come from one escape run: keep them apart in the source too.
  return resolveOverlaps(spans);
}

function scanView(text: string, opts: ScanOptions): Span[] {
  const { digits, upper, at, colon, dash, dot } = text.length >= 64 ? longFlagsOf(text) : flagsOf(text);
  const n = text.length;
  const spans: Span[] = [];
  if (at) detectEmail(text, spans);
  if (n >= 16) { detectSecrets(text, spans); detectJwt(text, spans); }
  if (digits >= 7) { detectCard(text, spans, opts.cards); detectPhone(text, spans); }
  if (digits >= 9) detectSsn(text, spans);
  if (digits >= 2 && n >= 15) detectIban(text, spans);
  if (digits >= 4) detectIp(text, spans);
  else if (colon) detectIp(text, spans);
  if (colon || dash || (dot && digits >= 2)) detectMac(text, spans);
  if (digits >= 6) { detectNino(text, spans); detectPassport(text, spans); }
  if (digits >= 4 && (dot || upper)) detectGeo(text, spans);
  if (digits >= 4) detectDob(text, spans);
  if (digits >= 2) detectPostcode(text, spans, upper);
  if (opts.names !== false && (upper || opts.structured !== true || mayNameInLowerCase(text))) {
    if (digits > 0) detectAddress(text, spans);
    detectPerson(text, spans, opts.structured === true && !isProse(text));
  }
  return resolveOverlaps(spans);
}

/** One sweep in text order: of two overlapping spans the higher-priority (then longer) one stays. O(n log n). */
function resolveOverlaps(spans: Span[]): Span[] {
  if (spans.length <= 1) return spans;
  spans.sort((a, b) => a.start - b.start || PRIORITY[a.entity] - PRIORITY[b.entity] || b.end - a.end);
  const kept: Span[] = [];
  for (const s of spans) {
    const last = kept[kept.length - 1];
    if (last === undefined || s.start >= last.end) { kept.push(s); continue; }
    const better = PRIORITY[s.entity] < PRIORITY[last.entity] ||
      (PRIORITY[s.entity] === PRIORITY[last.entity] && s.end - s.start > last.end - last.start);
    if (better) kept[kept.length - 1] = s;
  }
  return kept;
}
