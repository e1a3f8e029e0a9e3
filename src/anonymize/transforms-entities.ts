// Shape-keeping pseudonyms of the entities added with issue 20 (transforms.ts holds the older ones): a
// date of birth shifted by a keyed number of days in its own layout, a UK NINO that is still a valid NINO,
// a passport number and a postcode with each letter and digit keyed in place, GPS coordinates coarsened
// or shifted with their written precision kept. Each is deterministic under the key.
import { parseDate } from './detectors/dates.js';
import type { KeyedHash } from './keyed.js';
import { shiftDate, type Scalar } from './transforms.js';

export interface GeoOptions {
  /** coarsen: round to `decimals` places; shift: move by a keyed offset of up to `shiftMeters`. */
  readonly mode: 'coarsen' | 'shift';
  readonly decimals: number;
  readonly shiftMeters: number;
}

export const DEFAULT_GEO: GeoOptions = { mode: 'coarsen', decimals: 2, shiftMeters: 2000 };

const DAY_MS = 86_400_000;
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A date of birth shifted by a keyed, never-zero number of days (up to `maxDays`), written in the layout
 * it came in (02/03/1985 stays dd/mm/yyyy-shaped, "2nd of March 1985" stays words). Per person: the
 * offset is keyed on `subject` when the policy names one (a date-shift rule's `subject`), else on the
 * date itself (its ISO form), so one date maps to one date in every layout and every request.
 */
export function shiftDob(h: KeyedHash, value: Scalar, maxDays = 365, subject?: string): Scalar {
  // A year alone (1985, "1985") is what a year-of-birth field holds: kept, as the `year` transform does.
  if (typeof value === 'number' ? Number.isInteger(value) && value >= 1000 && value <= 9999 : /^\s*\d{4}\s*$/.test(value)) return value;
  const s = typeof value === 'string' ? value.trim() : undefined;
  const p = s === undefined ? undefined : parseDate(s);
  if (p === undefined) return shiftDate(h, value, subject ?? String(value), maxDays);
  const iso = `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
  const k = h.bytes('date-shift', subject ?? iso).readUInt32BE(0);
  const days = (1 + (k % maxDays)) * ((k & 0x80000000) !== 0 ? -1 : 1);
  const d = new Date(Date.UTC(p.y, p.m - 1, p.d) + days * DAY_MS);
  const out = p.render(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  return typeof value === 'string' ? value.replace(s!, out) : out;
}

/** Each letter and digit of `value` keyed in place (case kept), the first `keep` alphanumerics unchanged. */
export function shapeKeyed(h: KeyedHash, domain: string, value: string, keep = 0, letters = UPPER): string {
  const b = h.bytes(domain, value.toUpperCase().replace(/[^A-Z0-9]/g, ''));
  let out = '';
  let k = 0;
  for (const ch of value) {
    const isDigit = ch >= '0' && ch <= '9';
    const isLetter = /^[A-Za-z]$/.test(ch);
    if (!isDigit && !isLetter) { out += ch; continue; }
    const byte = b[k % b.length]! ^ (k >= b.length ? 0x5a : 0);
    k++;
    if (k <= keep) { out += ch; continue; }
    if (isDigit) out += String(byte % 10);
    else {
      const l = letters[byte % letters.length]!;
      out += ch === ch.toLowerCase() ? l.toLowerCase() : l;
    }
  }
  if (out === value && out.length > 0) {
    // Never the input: bump the last digit or letter.
    const i = out.search(/[0-9A-Za-z](?=[^0-9A-Za-z]*$)/);
    const c = out[i]!;
    const next = c >= '0' && c <= '9' ? String((Number(c) + 1) % 10) : c === 'Z' ? 'A' : c === 'z' ? 'a' : String.fromCharCode(c.charCodeAt(0) + 1);
    out = out.slice(0, i) + next + out.slice(i + 1);
  }
  return out;
}

const NINO_FIRST = 'ABCEGHJKLMNOPRSTWXYZ';
const NINO_SECOND = 'ABCEGHJKLMNPRSTWXYZ';
const NINO_BANNED = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

/** A keyed NINO that is itself valid (prefix letters from HMRC's sets, suffix A–D), spacing and case kept. */
export function pseudonymizeNino(h: KeyedHash, value: string): string {
  const compact = value.toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (!/^[A-Z]{2}\d{6}[A-D]$/.test(compact)) return shapeKeyed(h, 'nino', value);
  const b = h.bytes('nino', compact);
  let prefix = NINO_FIRST[b[0]! % NINO_FIRST.length]! + NINO_SECOND[b[1]! % NINO_SECOND.length]!;
  if (NINO_BANNED.has(prefix)) prefix = 'AB';
  let digits = '';
  for (let i = 0; i < 6; i++) digits += String(b[2 + i]! % 10);
  let out = prefix + digits + 'ABCD'[b[8]! % 4]!;
  if (out === compact) out = out.slice(0, 7) + String((Number(out[7]) + 1) % 10) + out[8];
  let j = 0;
  let formatted = '';
  for (const ch of value) {
    if (!/[A-Za-z0-9]/.test(ch)) { formatted += ch; continue; }
    const c = out[j++]!;
    formatted += ch === ch.toLowerCase() ? c.toLowerCase() : c;
  }
  return formatted;
}

/** Passport numbers: every letter and digit keyed in place (a US 9-digit number stays 9 digits). */
export function pseudonymizePassport(h: KeyedHash, value: Scalar): Scalar {
  const out = shapeKeyed(h, 'passport', String(value));
  return typeof value === 'number' && /^\d+$/.test(out) && out[0] !== '0' ? Number(out) : out;
}

// Royal Mail's inward-code letters (never C I K M O V).
const UK_INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
const UK_POSTCODE = /^([A-Za-z]{1,2})(\d[A-Za-z\d]?)( ?)(\d)([A-Za-z]{2})$/;

/**
 * UK: the area letters stay (SW, M: coarse geography, as a town would), the district and inward code are
 * keyed (SW1A 1AA → SW4F 7JT). US ZIP: the first three digits stay (the ZIP3 that HIPAA's safe harbour
 * keeps), the rest keyed. Any other postal code: each letter and digit keyed in place.
 */
export function pseudonymizePostcode(h: KeyedHash, value: Scalar): Scalar {
  const s = String(value);
  const t = s.trim();
  const uk = UK_POSTCODE.exec(t);
  let out: string;
  if (uk) {
    const [, area, district, space, sector, unit] = uk as unknown as [string, string, string, string, string, string];
    const keyed = shapeKeyed(h, 'postcode', district + sector + unit, 0);
    const inward = shapeKeyed(h, 'postcode-inward', unit, 0, UK_INWARD_LETTERS);
    out = s.replace(t, `${area}${keyed.slice(0, district.length)}${space}${keyed[district.length]}${inward}`);
    if (out === s) out = s.replace(t, `${area}${keyed.slice(0, district.length)}${space}${(Number(sector) + 1) % 10}${inward}`);
  } else if (/^\d{5}(?:-\d{4})?$/.test(t)) out = s.replace(t, shapeKeyed(h, 'postcode', t, 3));
  else out = shapeKeyed(h, 'postcode', s);
  return typeof value === 'number' && /^\d+$/.test(out) ? Number(out) : out;
}

const DECIMAL = /(?<![\d.])-?\d{1,3}\.\d+(?![\d.])/g;

function geoNumber(h: KeyedHash, src: string, opts: GeoOptions, pairKey: string, axis: number): string {
  const v = Number(src);
  const dot = src.indexOf('.');
  const places = dot < 0 ? 0 : src.length - dot - 1;
  let out: number;
  if (opts.mode === 'coarsen') {
    const f = 10 ** opts.decimals;
    out = Math.round(v * f) / f;
  } else {
    // Up to shiftMeters in each axis (a degree of latitude is ~111 km; longitude taken the same: an upper bound).
    const b = h.bytes('geo', pairKey);
    const unit = b.readUInt32BE(axis * 4) / 0xffffffff * 2 - 1;
    out = v + (unit * opts.shiftMeters) / 111_320;
  }
  const limit = Math.abs(v) <= 90 ? 90 : 180;
  out = Math.max(-limit, Math.min(limit, out));
  // The written precision stays: 51.5072 coarsened to two places is 51.5100.
  let text = out.toFixed(Math.max(places, opts.mode === 'coarsen' ? 0 : places));
  if (text === '-0' || /^-0\.0+$/.test(text)) text = text.slice(1);
  return text;
}

/**
 * GPS coordinates: a number (one axis under a `lat`/`lng` key) or a text holding one or more decimals
 * (51.5072,-0.1276; 51.5072° N, 0.1276° W), each coarsened or shifted (GeoOptions), the layout kept;
 * integers in the text (a timestamp beside the point) stay.
 */
export function pseudonymizeGeo(h: KeyedHash, value: Scalar, opts: GeoOptions = DEFAULT_GEO): Scalar {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return value;
    return Number(geoNumber(h, String(value), opts, String(value), 0));
  }
  let axis = 0;
  const out = value.replace(DECIMAL, (m) => geoNumber(h, m, opts, value, axis++ % 4));
  return out;
}
