// Shape-keeping transforms, each deterministic under the key (HMAC of entity domain + normalized value):
// an email stays an email, a card keeps its length, issuer prefix (BIN) and a valid Luhn digit, an IBAN keeps
// its country and length with valid mod-97, an SSN lands in the never-issued 9xx area, and so on.
import { isIPv4, isIPv6 } from 'node:net';
import { ibanCheckDigits, luhnCheckDigit } from './checksums.js';
import { FIRST_NAME_LIST, FIRST_NAMES, SURNAME_LIST, SURNAMES } from './data/names.js';
import type { KeyedHash } from './keyed.js';

export type Scalar = string | number;

const PUBLIC_MAIL = new Set([
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'ymail.com', 'outlook.com',
  'hotmail.com', 'hotmail.co.uk', 'hotmail.fr', 'live.com', 'msn.com', 'icloud.com', 'me.com', 'mac.com',
  'aol.com', 'proton.me', 'protonmail.com', 'gmx.de', 'gmx.net', 'gmx.com', 'web.de', 't-online.de',
  'orange.fr', 'free.fr', 'laposte.net', 'yandex.ru', 'mail.ru', 'qq.com', '163.com', '126.com',
  'naver.com', 'rediffmail.com', 'uol.com.br', 'bol.com.br', 'zoho.com', 'fastmail.com', 'tutanota.com',
]);
const SECOND_LEVEL = new Set(['co', 'com', 'org', 'net', 'ac', 'gov', 'edu', 'ne', 'or']);

/** `prefix` + 16 base32 characters; a number becomes a keyed number with the same digit count. */
export function pseudonym(h: KeyedHash, value: Scalar, prefix: string): Scalar {
  if (typeof value === 'number') {
    const s = String(Math.abs(Math.trunc(value)));
    let d = h.digits('id', String(value), s.length);
    if (s.length > 1 && d[0] === '0') d = '1' + d.slice(1);
    if (d === s) d = d.slice(0, -1) + String((Number(d.at(-1)) + 1) % 10);
    return (value < 0 ? -1 : 1) * Number(d);
  }
  return prefix + h.base32('id', value.trim(), 16);
}

export function pseudonymizeEmail(h: KeyedHash, value: string): string {
  const norm = value.trim().toLowerCase();
  const at = norm.lastIndexOf('@');
  if (at <= 0) return String(pseudonym(h, value, 'e_'));
  const domain = norm.slice(at + 1);
  const local = h.base32('email', norm, 10);
  if (PUBLIC_MAIL.has(domain)) return `${local}@${domain}`;
  // The last label, or the last two when the one before is a second level under a country (co.uk).
  const last = domain.lastIndexOf('.');
  const before = last > 0 ? domain.lastIndexOf('.', last - 1) : -1;
  const tld = before >= 0 && domain.length - last - 1 === 2 && SECOND_LEVEL.has(domain.slice(before + 1, last))
    ? domain.slice(before + 1) : domain.slice(last + 1);
  return `${local}@${h.base32('email-domain', domain, 8)}.${tld}`;
}

// ITU calling codes by length: one digit (1, 7), the two-digit set, otherwise three.
const CC2 = new Set('20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '));
function callingCodeLength(d: string): number {
  if (d[0] === '1' || d[0] === '7') return 1;
  return CC2.has(d.slice(0, 2)) ? 2 : 3;
}

/** Keeps the format characters, the country code and a national trunk 0; every other digit is keyed. */
export function pseudonymizePhone(h: KeyedHash, value: Scalar): Scalar {
  const s = String(value);
  const digits = digitsOf(s);
  if (digits.length === 0) return String(pseudonym(h, s, 'ph_'));
  const trimmed = s.trimStart();
  let keep = 0;
  if (trimmed.startsWith('+')) keep = callingCodeLength(digits);
  else if (trimmed.startsWith('00')) keep = 2 + callingCodeLength(digits.slice(2));
  else if (digits[0] === '0') keep = 1;
  // A NANP number (+1, 001, 1 + ten digits, or ten digits starting 2–9) keeps the country code 1.
  let nanp = -1;
  if ((trimmed.startsWith('+') && digits[0] === '1') || (trimmed.startsWith('00') && digits[2] === '1')) nanp = keep;
  else if (keep === 0 && digits.length === 10 && digits[0] !== '0' && digits[0] !== '1') nanp = 0;
  else if (keep === 0 && digits.length === 11 && digits[0] === '1' && digits[1] !== '0' && digits[1] !== '1') { keep = 1; nanp = 1; }
  keep = Math.min(keep, digits.length - 1);
  const keyed = h.digits('phone', digits, digits.length);
  let out = digits.slice(0, keep) + keyed.slice(keep);
  if (nanp >= 0 && out.length >= nanp + 10) out = out.slice(0, nanp) + nanpValid(out.slice(nanp, nanp + 6)) + out.slice(nanp + 6);
  if (out === digits) out = out.slice(0, -1) + String((Number(out.at(-1)) + 1) % 10);
  const result = refill(s, out);
  return typeof value === 'number' ? Number(result) : result;
}

/**
 * Area code and exchange made valid NANP: first digit 2–9, never N11 (211, 911), area codes never N9X
 * (reserved for expansion): (415) 555-2671 never becomes (119) ….
 */
function nanpValid(six: string): string {
  const d = (i: number) => six.charCodeAt(i) - 48;
  const d0 = 2 + (d(0) % 8);
  const d1 = d(1) % 9;
  const d2 = d1 === 1 && d(2) === 1 ? 2 : d(2);
  const d3 = 2 + (d(3) % 8);
  const d5 = d(4) === 1 && d(5) === 1 ? 2 : d(5);
  return String.fromCharCode(48 + d0, 48 + d1, 48 + d2, 48 + d3, 48 + d(4), 48 + d5);
}

/** Puts `digits` back into the digit positions of `template` (separators and brackets stay). */
function refill(template: string, digits: string): string {
  const n = template.length;
  if (n > SHORT) {
    let j = 0;
    let out = '';
    for (let i = 0; i < n; i++) {
      const c = template.charCodeAt(i);
      out += c >= 48 && c <= 57 ? digits[j++] : template[i];
    }
    return out;
  }
  CODES.length = n;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const c = template.charCodeAt(i);
    CODES[i] = c >= 48 && c <= 57 ? digits.charCodeAt(j++) : c;
  }
  return String.fromCharCode.apply(null, CODES);
}

/** The ASCII digits of `s` (`s.replace(/\D/g, '')`). */
function digitsOf(s: string): string {
  const n = s.length;
  if (n > SHORT) return s.replace(/\D/g, '');
  CODES.length = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) CODES.push(c);
  }
  return CODES.length === n ? s : String.fromCharCode.apply(null, CODES);
}
/** Scratch for refill and digitsOf: values up to SHORT units (phones and cards) go through one fromCharCode. */
const CODES: number[] = [];
const SHORT = 256;

/**
 * The issuer prefix (the first six digits, the BIN that PCI DSS lets a receipt show: network and bank, no
 * person) stays, so the pseudonym is a card of the same network; the account digits are keyed and the
 * Luhn digit recomputed.
 */
export function pseudonymizeCard(h: KeyedHash, value: Scalar): Scalar {
  const s = String(value);
  const digits = digitsOf(s);
  if (digits.length < 12) return pseudonym(h, value, 'cc_');
  const n = digits.length;
  let body = digits.slice(0, 6) + h.digits('card', digits, n - 7);
  let out = body + luhnCheckDigit(body);
  if (out === digits) {
    body = body.slice(0, -1) + String((Number(body.at(-1)) + 1) % 10);
    out = body + luhnCheckDigit(body);
  }
  const result = refill(s, out);
  return typeof value === 'number' ? Number(result) : result;
}

export function pseudonymizeIban(h: KeyedHash, value: string): string {
  const compact = value.replace(/[\s\-.]/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{4,30}$/.test(compact)) return String(pseudonym(h, value, 'iban_'));
  const country = compact.slice(0, 2);
  const bytes = h.bytes('iban', compact);
  let bban = '';
  for (let i = 4; i < compact.length; i++) {
    const b = bytes[i % bytes.length]! ^ (i >= bytes.length ? 0xa5 : 0);
    const c = compact.charCodeAt(i);
    bban += c >= 48 && c <= 57 ? String(b % 10) : String.fromCharCode(65 + (b % 26));
  }
  if (bban === compact.slice(4)) bban = (bban[0] === '0' ? '1' : '0') + bban.slice(1);
  let out = country + ibanCheckDigits(country, bban) + bban;
  // Re-insert the original spacing and letter case.
  let j = 0;
  let formatted = '';
  const lower = value === value.toLowerCase();
  for (const ch of value) formatted += /[\s\-.]/.test(ch) ? ch : out[j++] ?? '';
  out = formatted + out.slice(j);
  return lower ? out.toLowerCase() : out;
}

/** A well-formed SSN in the 9xx area, which the SSA never issues as an SSN. */
export function pseudonymizeSsn(h: KeyedHash, value: Scalar): string {
  const s = String(value);
  const digits = digitsOf(s);
  const b = h.bytes('ssn', digits);
  const area = String(900 + (b.readUInt16BE(0) % 100));
  const group = String(1 + (b.readUInt16BE(2) % 99)).padStart(2, '0');
  const serial = String(1 + (b.readUInt16BE(4) % 9999)).padStart(4, '0');
  const sep = /\d{3}([\- .])\d{2}/.exec(s)?.[1];
  return sep === undefined ? area + group + serial : `${area}${sep}${group}${sep}${serial}`;
}

/** `b`: the address's keyed bytes (`h.bytes('ip', ip)`), read as `h.pick('ip', ip, span)` reads them. */
function sameWidthOctet(b: Buffer, orig: number): number {
  const [lo, span] = orig < 10 ? [0, 10] : orig < 100 ? [10, 90] : [100, 156];
  let x = lo + (b.readUInt32BE(0) % span);
  if (x === orig) x = lo + ((x - lo + 1) % span);
  return x;
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const a = head === '' ? [] : head.split(':');
  const b = tail === undefined || tail === '' ? [] : tail.split(':');
  return [...a, ...Array<string>(Math.max(0, 8 - a.length - b.length)).fill('0'), ...b];
}

/** prefix: keep the /24 (IPv4) or /48 (IPv6); documentation: map into RFC 5737 / RFC 3849 ranges. */
export function pseudonymizeIp(h: KeyedHash, value: string, mode: 'prefix' | 'documentation'): string {
  const ip = value.trim();
  const b = h.bytes('ip', ip);
  if (isIPv4(ip)) {
    const parts = ip.split('.');
    const last = Number(parts[3]);
    if (mode === 'prefix') return `${parts[0]}.${parts[1]}.${parts[2]}.${sameWidthOctet(b, last)}`;
    const nets = ['192.0.2', '198.51.100', '203.0.113'];
    return `${nets[b[0]! % 3]}.${100 + (b[1]! % 155)}`;
  }
  if (isIPv6(ip) && !ip.includes('.')) {
    const groups = expandIpv6(ip.toLowerCase());
    const keyed = (i: number) => b.readUInt16BE((i * 2) % 30).toString(16);
    if (mode === 'prefix') {
      const rest = [3, 4, 5, 6, 7].map(keyed);
      return [...groups.slice(0, 3).map((g) => g.replace(/^0+(?=.)/, '')), ...rest].join(':');
    }
    return ['2001', 'db8', ...[2, 3, 4, 5, 6, 7].map(keyed)].join(':');
  }
  return String(pseudonym(h, value, 'ip_'));
}

/** A keyed, locally administered unicast MAC in the same notation (Cisco's dotted 0123.4567.89ab too). */
export function pseudonymizeMac(h: KeyedHash, value: string): string {
  const sep = value.includes('-') ? '-' : ':';
  const b = h.bytes('mac', value.toLowerCase().replace(/[^0-9a-f]/g, ''));
  const octets = [((b[0]! & 0xfc) | 0x02), b[1]!, b[2]!, b[3]!, b[4]!, b[5]!].map((x) => x.toString(16).padStart(2, '0'));
  const out = /^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(value.trim())
    ? `${octets[0]}${octets[1]}.${octets[2]}${octets[3]}.${octets[4]}${octets[5]}` : octets.join(sep);
  return value === value.toUpperCase() ? out.toUpperCase() : out;
}

function styled(like: string, name: string): string {
  if (like === like.toLowerCase()) return name.toLowerCase();
  if (like.length > 1 && like === like.toUpperCase()) return name.toUpperCase();
  return name;
}

function pickName(h: KeyedHash, list: readonly string[], domain: string, token: string): string {
  let i = h.pick(domain, token.toLowerCase(), list.length);
  if (list[i]!.toLowerCase() === token.toLowerCase()) i = (i + 1) % list.length;
  return list[i]!;
}

/** Each token maps to a keyed name from the bundled lists (per token, so "Smith" alone and in "Ann Smith" agree). */
export function pseudonymizeName(h: KeyedHash, value: string, part?: 'first' | 'last'): string {
  const tokens = value.trim().split(/\s+/);
  if (tokens.length === 1 && tokens[0] === '') return value;
  return tokens.map((t, i) => {
    const bare = t.replace(/[.,]$/, '');
    if (bare.length <= 1) return String.fromCharCode(65 + h.pick('initial', bare, 26)) + t.slice(bare.length);
    const lower = bare.toLowerCase();
    const asLast = part === 'last' || (part === undefined && (
      tokens.length > 1 ? i === tokens.length - 1 : SURNAMES.has(lower) && !FIRST_NAMES.has(lower)));
    const name = asLast ? pickName(h, SURNAME_LIST, 'surname', bare) : pickName(h, FIRST_NAME_LIST, 'first-name', bare);
    return styled(bare, name) + t.slice(bare.length);
  }).join(' ');
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const EU_DATE = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const DAY_MS = 86_400_000;

/** Shifts by a keyed, never-zero offset chosen by the subject, so one subject's intervals survive. */
export function shiftDate(h: KeyedHash, value: Scalar, subject: string, maxDays: number): Scalar {
  const k = h.bytes('date-shift', subject).readUInt32BE(0);
  const days = (1 + (k % maxDays)) * ((k & 0x80000000) !== 0 ? -1 : 1);
  if (typeof value === 'number') {
    // Epoch milliseconds or seconds.
    return value > 1e11 ? value + days * DAY_MS : value + days * 86_400;
  }
  const v = value.trim();
  let m = ISO_DATE.exec(v);
  if (m) {
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * DAY_MS);
    if (Number.isNaN(d.getTime())) return '<DATE>';
    return d.toISOString().slice(0, 10) + m[4];
  }
  m = US_DATE.exec(v);
  if (m) {
    const d = new Date(Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2])) + days * DAY_MS);
    return `${String(d.getUTCMonth() + 1).padStart(m[1]!.length, '0')}/${String(d.getUTCDate()).padStart(m[2]!.length, '0')}/${d.getUTCFullYear()}`;
  }
  m = EU_DATE.exec(v);
  if (m) {
    const d = new Date(Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1])) + days * DAY_MS);
    return `${String(d.getUTCDate()).padStart(m[1]!.length, '0')}.${String(d.getUTCMonth() + 1).padStart(m[2]!.length, '0')}.${d.getUTCFullYear()}`;
  }
  return '<DATE>';
}

/** Only the year of a date survives (a number stays a number). */
export function yearOf(value: Scalar): Scalar {
  if (typeof value === 'number') {
    if (value >= 1000 && value <= 9999) return value;
    return new Date(value > 1e11 ? value : value * 1000).getUTCFullYear();
  }
  const m = /(?<!\d)(1[89]\d\d|20\d\d)(?!\d)/.exec(value);
  return m ? m[1]! : '<DATE>';
}

/** The range that holds the value: `<10`, `10-20`, `100+`. */
export function bucketOf(value: Scalar, edges: readonly number[]): string {
  const v = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(v) || (typeof value === 'string' && value.trim() === '')) return '<REDACTED>';
  if (v < edges[0]!) return `<${edges[0]}`;
  for (let i = 0; i < edges.length - 1; i++) if (v < edges[i + 1]!) return `${edges[i]}-${edges[i + 1]}`;
  return `${edges.at(-1)}+`;
}
