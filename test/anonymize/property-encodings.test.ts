// Property tests for issue 11's families (fast-check, fixed seed): a planted value written in any form —
// fullwidth or Arabic-Indic digits, NBSP / zero-width / dots between groups, `＠`, percent-encoded once or
// twice, base64 or base64url, a bare JSON number — in a body sent in any charset (UTF-8, UTF-16 LE/BE,
// Latin-1) under any content coding (identity, gzip, deflate, br) survives in no form in the output:
// raw, lower-cased, digits-only, NFKC-folded, URL-decoded, base64-decoded, UTF-16- or Latin-1-decoded.
import fc from 'fast-check';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { ibanCheckDigits, luhnCheckDigit } from '../../src/anonymize/checksums.js';
import type { RawRequest } from '../../src/exchange.js';
import { policyFrom } from './helpers.js';

type Kind = 'email' | 'card' | 'phone' | 'iban' | 'ssn';
const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));

const arbValue: Record<Kind, fc.Arbitrary<string>> = {
  email: fc.tuple(fc.stringMatching(/^[a-z]{5,10}$/), fc.stringMatching(/^[a-z]{4,10}$/), fc.constantFrom('com', 'io', 'de'))
    .map(([l, d, t]) => `${l}.${l.length}@${d}.${t}`),
  // A Visa or Mastercard prefix: a card needs its network's IIN (issue 20), not only Luhn.
  card: fc.tuple(fc.constantFrom('4', '51', '55', '2221'), digits(14)).map(([p, d]) => (p + d).slice(0, 15) + luhnCheckDigit((p + d).slice(0, 15))),
  phone: fc.tuple(fc.integer({ min: 2, max: 9 }), digits(2), fc.integer({ min: 2, max: 9 }), digits(6))
    .map(([a, b, c, d]) => `${a}${b}${c}${d}`),
  iban: digits(18).map((b) => `DE${ibanCheckDigits('DE', b)}${b}`),
  ssn: fc.tuple(fc.integer({ min: 100, max: 665 }), fc.integer({ min: 10, max: 99 }), fc.integer({ min: 1000, max: 9999 }))
    .map(([a, g, s]) => `${a}-${g}-${s}`),
};

type Form = 'plain' | 'fullwidth' | 'arabic' | 'nbsp' | 'zero-width' | 'dots' | 'percent' | 'percent2' | 'base64' | 'base64url' | 'number';

const toDigits = (s: string, zero: number) => s.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)));
const grouped = (s: string, sep: string) => s.replace(/(\d{4})(?=\d)/g, `$1${sep}`);

/** The planted value as it appears in the document (a string, or a number for `number`). */
function written(kind: Kind, value: string, form: Form): string | number {
  const phone = kind === 'phone' ? `(${value.slice(0, 3)}) ${value.slice(3, 6)}-${value.slice(6)}` : value;
  const shown = kind === 'phone' ? phone : value;
  switch (form) {
    case 'plain': return `see ${shown} now`;
    case 'fullwidth': return `see ${toDigits(shown, 0xff10).replace('@', '＠')} now`;
    case 'arabic': return `see ${toDigits(shown, 0x0660)} now`;
    case 'nbsp': return kind === 'card' ? `see ${grouped(value, '\u00a0')} now` : `see ${shown.replace(' ', '\u00a0')} now`;
    case 'zero-width': return `see ${[...shown].join('\u200b')} now`;
    case 'dots': return kind === 'card' ? `see ${grouped(value, '.')} now` : `see ${shown} now`;
    case 'percent': return `https://x.example/cb?v=${encodeURIComponent(`see ${shown}`)}`;
    case 'percent2': return `https://x.example/cb?v=${encodeURIComponent(encodeURIComponent(`see ${shown}`))}`;
    case 'base64': return Buffer.from(JSON.stringify({ note: `contact ${shown} please` })).toString('base64');
    case 'base64url': return Buffer.from(`contact ${shown} please, thanks a lot`).toString('base64url');
    case 'number': return kind === 'card' || kind === 'phone' ? Number(value) : `see ${shown} now`;
  }
}

type Charset = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1';
type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

function encode(text: string, charset: Charset, coding: Coding): { body: Buffer; headers: Record<string, string> } {
  let b: Buffer;
  if (charset === 'utf-8') b = Buffer.from(text);
  else if (charset === 'utf-16le') b = Buffer.from(text, 'utf16le');
  else if (charset === 'utf-16be') b = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
  else b = Buffer.from(text, 'latin1');
  const headers: Record<string, string> = { 'content-type': `application/json; charset=${charset === 'latin1' ? 'iso-8859-1' : charset}` };
  if (coding !== 'identity') headers['content-encoding'] = coding;
  const body = coding === 'gzip' ? gzipSync(b) : coding === 'deflate' ? deflateSync(b) : coding === 'br' ? brotliCompressSync(b) : b;
  return { body, headers };
}

/** Every way the output could still say `value`. */
function survives(out: Buffer, value: string): string | undefined {
  const utf8 = out.toString('utf8');
  const views = [utf8, out.toString('latin1'), out.toString('utf16le')];
  let url = utf8;
  for (let i = 0; i < 2; i++) url = url.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => { try { return decodeURIComponent(m); } catch { return m; } });
  views.push(url);
  for (const m of utf8.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
    const inner = Buffer.from(m[0], /[-_]/.test(m[0]) ? 'base64url' : 'base64').toString('utf8');
    views.push(inner);
    for (const m2 of inner.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) views.push(Buffer.from(m2[0], 'base64').toString('utf8'));
  }
  const d = value.replace(/\D/g, '');
  for (const v of views) {
    const folded = v.normalize('NFKC').replace(/\p{Nd}/gu, (c) => String(/\d/.test(c) ? c : c.codePointAt(0)! - 0x0660));
    if (folded.includes(value) || folded.toLowerCase().includes(value.toLowerCase())) return `raw in ${v.slice(0, 80)}`;
    const onlyDigits = folded.replace(/[^0-9]/g, '');
    if (d.length >= 9 && onlyDigits.includes(d)) return `digits in ${v.slice(0, 80)}`;
  }
  return undefined;
}

const POLICY = policyFrom({ headers: { keep: ['content-type'] }, fields: {}, unknown: 'scan' });

describe('planted values in every encoding', () => {
  test('survive in no form; the copy is UTF-8, identity-encoded, valid JSON', () => {
    const arb = fc.record({
      kind: fc.constantFrom<Kind>('email', 'card', 'phone', 'iban', 'ssn'),
      form: fc.constantFrom<Form>('plain', 'fullwidth', 'arabic', 'nbsp', 'zero-width', 'dots', 'percent', 'percent2', 'base64', 'base64url', 'number'),
      charset: fc.constantFrom<Charset>('utf-8', 'utf-16le', 'utf-16be', 'latin1'),
      coding: fc.constantFrom<Coding>('identity', 'gzip', 'deflate', 'br'),
      key: fc.constantFrom('alpha', 'data', 'items', 'value', 'meta'),
      filler: fc.array(fc.constantFrom('ok', 'blue', 'v2', 'premium'), { maxLength: 3 }),
    }).chain((r) => arbValue[r.kind].map((value) => ({ ...r, value })));
    fc.assert(fc.property(arb, ({ kind, form, charset, coding, key, filler, value }) => {
      const planted = written(kind, value, form);
      const latinSafe = (s: string) => [...s].every((c) => c.charCodeAt(0) < 256);
      const doc = { [key]: planted, tags: filler, score: 0.5 };
      const text = JSON.stringify(doc);
      // Latin-1 cannot carry fullwidth or Arabic-Indic digits: such a document goes as UTF-8.
      const cs = charset === 'latin1' && !latinSafe(text) ? 'utf-8' : charset;
      const { body, headers } = encode(text, cs, coding);
      const req: RawRequest = { method: 'POST', url: '/v1/predict', headers, body };
      const out = POLICY.anonymize(req);
      if (!out.ok) throw new Error(`dropped: ${out.reason}: ${out.detail}`);
      expect(out.request.headers['content-encoding']).toBeUndefined();
      const parsed = JSON.parse(out.request.body.toString('utf8')) as Record<string, unknown>;
      expect(parsed.score).toBe(0.5);
      if (typeof planted === 'number') expect(typeof parsed[key]).toBe('number');
      expect(survives(out.request.body, value)).toBeUndefined();
      if (kind === 'phone') expect(survives(out.request.body, `${value.slice(0, 3)}) ${value.slice(3, 6)}-${value.slice(6)}`)).toBeUndefined();
    }), { seed: 20261201, numRuns: 400 });
  });
});
