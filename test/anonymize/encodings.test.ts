// Issue 11's findings, one test each: a raw value must reach the output in no encoding — charsets,
// content codings, JSON numbers, Unicode look-alikes, invalid UTF-8, percent and base64 layers, opaque
// bodies kept by policy — and the guard must know what the engine wrote (no false drops).
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { ibanCheckDigits, luhnValid, mod97 } from '../../src/anonymize/checksums.js';
import { FIRST_NAME_LIST, SURNAME_LIST } from '../../src/anonymize/data/names.js';
import type { RawRequest } from '../../src/exchange.js';
import { jsonRequest, mustAnonymize, policyFrom } from './helpers.js';

const SCAN = policyFrom({ headers: { keep: ['content-type', 'content-encoding', 'referer'] }, fields: { '$.note': 'text' }, unknown: 'scan' });
const KEEP = policyFrom({ headers: { keep: ['content-type'] }, fields: {}, unknown: 'keep' });
const KEEP_BYTES = policyFrom({ headers: { keep: ['content-type', 'content-encoding'] }, fields: {}, unknown: 'scan', keepUnknownBodies: true });

const EMAIL = 'maria.gonzalez@example.org';
const CARD = '4539148803436467';
const PHONE = '(415) 555-2671';

function raw(body: Buffer, contentType: string, headers: Record<string, string> = {}, url = '/v1/predict'): RawRequest {
  return { method: 'POST', url, headers: { 'content-type': contentType, ...headers }, body };
}

/** Every form in which a planted value could survive in `out`. */
function forms(value: string): string[] {
  const digits = value.replace(/\D/g, '');
  return [value, value.toLowerCase(), value.normalize('NFKC'), ...(digits.length >= 7 ? [digits] : [])];
}

function views(out: string | Buffer): string {
  const b = typeof out === 'string' ? Buffer.from(out) : out;
  const text = b.toString('utf8');
  let decoded = text;
  for (let i = 0; i < 2; i++) { try { decoded = decodeURIComponent(decoded); } catch { /* not an escape */ } }
  const b64 = [...text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)].map((m) => Buffer.from(m[0], m[0].includes('-') || m[0].includes('_') ? 'base64url' : 'base64').toString('utf8'));
  return [text, decoded, decoded.normalize('NFKC'), b.toString('latin1'), b.toString('utf16le'), ...b64].join('\n');
}

function expectGone(out: string | Buffer, ...values: string[]): void {
  const all = views(out);
  const lower = all.toLowerCase();
  const digitsOnly = all.replace(/\D/g, '');
  for (const v of values) {
    for (const f of forms(v)) {
      expect(all).not.toContain(f);
      expect(lower).not.toContain(f.toLowerCase());
    }
    const d = v.replace(/\D/g, '');
    if (d.length >= 10) expect(digitsOnly).not.toContain(d);
  }
}

describe('charsets', () => {
  const doc = { email: EMAIL, note: `call ${PHONE}`, name: 'Zoë Müller' };
  test.each([
    ['application/json; charset=utf-16', Buffer.from(JSON.stringify(doc), 'utf16le')],
    ['application/json; charset=utf-16', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(JSON.stringify(doc), 'utf16le').swap16()])],
    ['application/json; charset=UTF-16LE', Buffer.from(JSON.stringify(doc), 'utf16le')],
    ['application/json; charset=utf-16be', Buffer.from(JSON.stringify(doc), 'utf16le').swap16()],
    ['application/json', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(doc), 'utf16le')])],
    ['application/json; charset=iso-8859-1', Buffer.from(JSON.stringify(doc), 'latin1')],
    ['application/json; charset="windows-1252"', Buffer.from(JSON.stringify(doc), 'latin1')],
  ])('%s is decoded, anonymized and sent as UTF-8 with the content type fixed', (ct, body) => {
    const out = SCAN.anonymize(raw(body, ct));
    if (!out.ok) throw new Error(out.detail);
    expect(out.request.headers['content-type']).toMatch(/^application\/json; charset=utf-8$/);
    const parsed = JSON.parse(out.request.body.toString('utf8')) as typeof doc;
    expect(parsed.email).toMatch(/^[a-z2-7]{10}@[a-z2-7]{8}\.org$/);
    expect(parsed.name).not.toContain('Müller');
    expectGone(out.request.body, EMAIL, PHONE, 'Müller', 'M\u00fcller');
  });

  test('text/plain in UTF-16 is read, not passed through', () => {
    const out = mustAnonymize(SCAN, raw(Buffer.from(`write to ${EMAIL}`, 'utf16le'), 'text/plain; charset=utf-16le'));
    expect(out.body).toMatch(/^write to [a-z2-7]{10}@/);
  });

  test('invalid UTF-8 drops as unreadable_body: the original bytes never pass', () => {
    const body = Buffer.concat([Buffer.from('{"note":"mail maria.gonzalez'), Buffer.from([0xff]), Buffer.from('@example.org"}')]);
    const out = SCAN.anonymize(raw(body, 'application/json'));
    expect(out).toMatchObject({ ok: false, reason: 'unreadable_body' });
  });

  test('an unknown charset drops as unreadable_body', () => {
    expect(SCAN.anonymize(raw(Buffer.from('{}'), 'application/json; charset=x-klingon'))).toMatchObject({ ok: false, reason: 'unreadable_body' });
  });
});

describe('content codings', () => {
  const json = Buffer.from(JSON.stringify({ email: EMAIL, amount: 1.0 }).replace('1', '1.0'));
  test.each([
    ['gzip', gzipSync(json)],
    ['deflate', deflateSync(json)],
    ['br', brotliCompressSync(json)],
    ['gzip, br', brotliCompressSync(gzipSync(json))],
  ])('%s is decoded, anonymized, and sent identity-encoded', (coding, body) => {
    const out = SCAN.anonymize(raw(body, 'application/json', { 'content-encoding': coding }));
    if (!out.ok) throw new Error(out.detail);
    expect(out.request.headers['content-encoding']).toBeUndefined();
    const text = out.request.body.toString('utf8');
    expect(text).toMatch(/^\{"email":"[a-z2-7]{10}@[a-z2-7]{8}\.org","amount":1\.0\}$/);
  });

  test('a zip bomb drops as body_too_large, bounded by maxDecodedBytes', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const out = SCAN.anonymize(raw(bomb, 'application/json', { 'content-encoding': 'gzip' }), { maxDecodedBytes: 256 * 1024 });
    expect(out).toMatchObject({ ok: false, reason: 'body_too_large' });
  });

  test('an unknown or corrupt coding drops as unreadable_body', () => {
    expect(SCAN.anonymize(raw(json, 'application/json', { 'content-encoding': 'compress' }))).toMatchObject({ ok: false, reason: 'unreadable_body' });
    expect(SCAN.anonymize(raw(json, 'application/json', { 'content-encoding': 'gzip' }))).toMatchObject({ ok: false, reason: 'unreadable_body' });
  });
});

describe('JSON numbers', () => {
  test('card- and phone-shaped numbers under innocuous keys are replaced and stay numbers', () => {
    const text = '{"b": 4539148803436467, "p": 14155552671, "q": 4155552671, "score": 0.93, "ts": 1700000000000, "n": 42}';
    const out = mustAnonymize(SCAN, raw(Buffer.from(text), 'application/json')).body;
    const m = /^\{"b": (\d{16}), "p": (\d{11}), "q": (\d{10}), "score": 0\.93, "ts": 1700000000000, "n": 42\}$/.exec(out);
    expect(m).not.toBeNull();
    expectGone(out, CARD, '14155552671', '4155552671');
    expect(m![2]!.startsWith('1')).toBe(true);
  });

  test('the leak guard reads numbers too (unknown: keep drops them as a leak)', () => {
    expect(KEEP.anonymize(jsonRequest({ b: 4539148803436467 }))).toMatchObject({ ok: false, reason: 'leak' });
  });

  test('numbers beyond 2^53 stay numbers: cards from their exact digits, other transforms typed', () => {
    const text = '{"card_number": 4539148803436467123, "user_id": 9007199254740993, "n": 1}';
    const out = mustAnonymize(SCAN, raw(Buffer.from(text), 'application/json')).body;
    const m = /^\{"card_number": (\d{19}), "user_id": (-?\d+), "n": 1\}$/.exec(out);
    expect(m).not.toBeNull();
    expect(m![1]).not.toBe('4539148803436467123');
    // Written from exact digits: still Luhn-valid (a rounded number would not be).
    expect(luhnValid(m![1]!)).toBe(true);
    expect(m![2]).not.toBe('9007199254740993');
  });

  test('untouched numbers keep their source text byte for byte, even when fields are dropped', () => {
    const dropping = policyFrom({ fields: { '$.secret': 'drop' }, unknown: 'scan' });
    const text = '{"secret": "x", "a": 1.0, "big": 9007199254740993, "e": 1E+2, "neg": -0.50}';
    expect(mustAnonymize(dropping, raw(Buffer.from(text), 'application/json')).body).toBe('{ "a": 1.0, "big": 9007199254740993, "e": 1E+2, "neg": -0.50}');
  });
});

describe('Unicode look-alikes', () => {
  test.each([
    ['fullwidth card', '４５３９ １４８８ ０３４３ ６４６７', CARD],
    ['Arabic-Indic phone', '(٤١٥) ٥٥٥-٢٦٧١', '4155552671'],
    ['fullwidth at', 'maria.gonzalez＠example.org', EMAIL],
    ['NBSP between card groups', '4539\u00a01488\u00a00343\u00a06467', CARD],
    ['zero-width inside a card', '4539\u200b1488\u200b0343\u200b6467', CARD],
    ['dots between card groups', '4539.1488.0343.6467', CARD],
    ['slashes between card groups', '4539/1488/0343/6467', CARD],
  ])('%s is found and replaced', (_label, value, plain) => {
    const out = mustAnonymize(SCAN, jsonRequest({ note: `see ${value} please`, other: value })).body;
    expectGone(out, plain);
    expect(out).not.toContain(value);
  });

  test('IDN and EAI emails are emails', () => {
    const out = mustAnonymize(SCAN, jsonRequest({ note: 'write maría@correo-münchen.de or 用户@例子.广告' })).body;
    expect(out).not.toContain('maría');
    expect(out).not.toContain('münchen');
    expect(out).not.toContain('用户');
  });
});

describe('encoded layers', () => {
  test('a URL-encoded email inside a JSON string is replaced, still URL-encoded', () => {
    const out = mustAnonymize(SCAN, jsonRequest({ next: 'https://shop.example/cb?email=maria.gonzalez%40example.org&x=1' })).body;
    expectGone(out, EMAIL);
    expect(out).toMatch(/email=[a-z2-7]{10}%40[a-z2-7]{8}\.org&x=1/);
  });

  test('a kept header carries no encoded email (referer)', () => {
    const out = mustAnonymize(SCAN, jsonRequest({}, '/v1/predict', { referer: 'https://shop.example/p?email=maria.gonzalez%40example.org' }));
    expectGone(out.headers.referer!, EMAIL);
  });

  test('double-encoded emails in the path and the query, a name in a path segment', () => {
    const out = mustAnonymize(SCAN, jsonRequest({}, '/v1/users/maria.gonzalez%2540example.org/people/Maria%20Gonzalez?q=maria.gonzalez%2540example.org'));
    expectGone(out.url, EMAIL, 'Gonzalez');
    expect(out.url).toMatch(/^\/v1\/users\/[^/]+\/people\/[^/?]+\?q=/);
  });

  test('base64 and base64url of JSON or text with personal data inside a string value', () => {
    const inner = JSON.stringify({ email: EMAIL, card: '4539 1488 0343 6467' });
    const out = mustAnonymize(SCAN, jsonRequest({
      blob: Buffer.from(inner).toString('base64'),
      url: Buffer.from(`note: call ${PHONE} or write ${EMAIL}`).toString('base64url'),
      nested: Buffer.from(`payload ${Buffer.from(`mail ${EMAIL} now`).toString('base64')}`).toString('base64'),
    })).body;
    expectGone(out, EMAIL, CARD, PHONE);
    const doc = JSON.parse(out) as Record<string, string>;
    // Re-encoded in its alphabet: the sandbox still gets a base64 JSON document.
    expect(JSON.parse(Buffer.from(doc.blob!, 'base64').toString('utf8'))).toMatchObject({ email: expect.stringMatching(/@/) });
    expect(doc.url).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test('the guard decodes base64 in kept values', () => {
    expect(KEEP.anonymize(jsonRequest({ blob: Buffer.from(`mail ${EMAIL} now`).toString('base64') }))).toMatchObject({ ok: false, reason: 'leak' });
  });
});

describe('opaque bodies kept by keepUnknownBodies', () => {
  test.each([
    ['multipart/form-data; boundary=x', Buffer.from(`--x\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u0000\u0001${EMAIL}\r\n--x--\r\n`), {}],
    ['application/octet-stream', Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from(`card ${CARD}`, 'utf16le'), Buffer.from([9])]), {}],
    ['application/octet-stream', Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(`iban DE89370400440532013000`, 'utf16le').swap16()]), {}],
    ['application/octet-stream', gzipSync(Buffer.from(`call ${PHONE} or ${EMAIL}`)), { 'content-encoding': 'gzip' }],
  ])('%s with personal data inside drops as a leak', (ct, body, headers) => {
    expect(KEEP_BYTES.anonymize(raw(body, ct, headers))).toMatchObject({ ok: false, reason: 'leak' });
  });

  test('a clean opaque body passes, decoded when it was compressed', () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 251));
    const out = KEEP_BYTES.anonymize(raw(gzipSync(bytes), 'application/octet-stream', { 'content-encoding': 'gzip' }));
    if (!out.ok) throw new Error(out.detail);
    expect(out.request.body.equals(bytes)).toBe(true);
    expect(out.request.headers['content-encoding']).toBeUndefined();
  });
});

describe('the guard knows what it wrote', () => {
  test('names whose pseudonyms are short are never dropped as leaks of themselves', () => {
    const p = policyFrom({ fields: { '$.note': 'text' }, unknown: 'scan' });
    let dropped = 0;
    for (let i = 0; i < 300; i++) {
      const name = `${FIRST_NAME_LIST[(i * 7) % FIRST_NAME_LIST.length]} ${SURNAME_LIST[(i * 13) % SURNAME_LIST.length]}`;
      const out = p.anonymize(jsonRequest({ note: `Please ask ${name} to call back, said Dr ${name.split(' ')[1]}.` }));
      if (!out.ok) dropped++;
    }
    expect(dropped).toBe(0);
  });

  test('a 12-digit Maestro card is a card', () => {
    const out = mustAnonymize(SCAN, jsonRequest({ note: 'maestro 060426070011 ok' })).body;
    expect(out).not.toContain('060426070011');
    expect(KEEP.anonymize(jsonRequest({ note: 'maestro 060426070011 ok' }))).toMatchObject({ ok: false, reason: 'leak' });
  });

  test('a NANP phone keeps a valid area code and exchange; +CC keeps its country code', () => {
    for (let i = 0; i < 200; i++) {
      const phone = `(${415 + (i % 500)}) 555-${String(1000 + i).padStart(4, '0')}`;
      const out = (JSON.parse(mustAnonymize(SCAN, jsonRequest({ phone })).body) as { phone: string }).phone;
      expect(out).toMatch(/^\([2-9][0-8]\d\) [2-9]\d\d-\d{4}$/);
      expect(out).not.toMatch(/^\([2-9]11\)|\) [2-9]11-/);
    }
    const intl = (JSON.parse(mustAnonymize(SCAN, jsonRequest({ phone: '+44 7700 900123' })).body) as { phone: string }).phone;
    expect(intl.startsWith('+44 ')).toBe(true);
  });

  test('a mod-97-valid IBAN of an unexpected length is an IBAN to the scan and the guard', () => {
    const bban = '370400440532013000123';
    const iban = `DE${ibanCheckDigits('DE', bban)}${bban}`;
    expect(mod97(iban.slice(4) + iban.slice(0, 4))).toBe(1);
    expect(KEEP.anonymize(jsonRequest({ note: `pay ${iban}` }))).toMatchObject({ ok: false, reason: 'leak' });
    expect(mustAnonymize(SCAN, jsonRequest({ note: `pay ${iban}` })).body).not.toContain(iban);
  });
});
