// Issue 20, findings 4–7: numbers and separators, a query's `+` spaces, identifiers no detector knew (dates
// of birth, NINO, passports, GPS coordinates, postcodes) and cards by issuer, at the detector level and
// through the anonymizer on a JSON body, a text body, headers and the query.
import { describe, expect, test } from 'vitest';
import { luhnCheckDigit, luhnValid } from '../../src/anonymize/checksums.js';
import { cardDigitsValid, cardNetwork } from '../../src/anonymize/detectors/card.js';
import { classifyKey } from '../../src/anonymize/detectors/key-names.js';
import { parseDate } from '../../src/anonymize/detectors/dates.js';
import { scanText } from '../../src/anonymize/scan.js';
import { jsonRequest, mustAnonymize, policyFrom } from './helpers.js';

const found = (text: string) => scanText(text).map((s) => [s.entity, text.slice(s.start, s.end)]);
const SCAN = policyFrom({});
const STRICT = policyFrom({ headers: { keep: ['content-type', 'referer', 'x-geo'] }, unknown: 'scan' });
const KEEP = policyFrom({ unknown: 'keep' });
const json = (body: unknown) => mustAnonymize(SCAN, jsonRequest(body)).body;
const text = (body: string) => mustAnonymize(SCAN, { method: 'POST', url: '/t', headers: { 'content-type': 'text/plain' }, body: Buffer.from(body) }).body;

/** A seeded xorshift: the same ids every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

describe('finding 4: numbers and separators', () => {
  test('a card or a phone written as an integral float is caught, in text and as a JSON number, and keeps the float shape', () => {
    expect(found('card 4111111111111111.0 ok')).toEqual([['card', '4111111111111111']]);
    expect(found('phone 4155550132.0')).toEqual([['phone', '4155550132']]);
    // Under a revealing key and under none.
    for (const [k1, k2] of [['card', 'phone'], ['a', 'b']]) {
      const raw = `{"${k1}":4111111111111111.0,"${k2}":4155550132.0,"score":0.5}`;
      const out = mustAnonymize(SCAN, { method: 'POST', url: '/p', headers: { 'content-type': 'application/json' }, body: Buffer.from(raw) }).body;
      expect(out).not.toContain('4111111111111111');
      expect(out).not.toContain('4155550132');
      const m = new RegExp(`^\\{"${k1}":(\\d{16})\\.0,"${k2}":(\\d{10})\\.0,"score":0\\.5\\}$`).exec(out);
      expect(m, out).not.toBeNull();
      expect(luhnValid(m![1]!)).toBe(true);
    }
    const raw = '{"a":4111111111111111.0,"b":4155550132.0}';
    // The guard reads floats too: kept, they are leaks.
    expect(KEEP.anonymize({ method: 'POST', url: '/p', headers: { 'content-type': 'application/json' }, body: Buffer.from(raw) })).toMatchObject({ ok: false, reason: 'leak' });
    expect(text('pandas wrote 4111111111111111.0 and 4155550132.0')).toMatch(/^pandas wrote \d{16}\.0 and \d{10}\.0$/);
    expect(text('pandas wrote 4111111111111111.0 and 4155550132.0')).not.toMatch(/4111111111111111|4155550132/);
  });

  test('IBANs grouped with dashes or dots are IBANs, and keep their grouping', () => {
    expect(found('iban DE89-3704-0044-0532-0130-00 ok')).toEqual([['iban', 'DE89-3704-0044-0532-0130-00']]);
    expect(found('iban DE89.3704.0044.0532.0130.00.')).toEqual([['iban', 'DE89.3704.0044.0532.0130.00']]);
    const out = JSON.parse(json({ note: 'pay to GB82-WEST-1234-5698-7654-32 today' })) as { note: string };
    expect(out.note).toMatch(/^pay to GB\d\d-[A-Z]{4}-\d{4}-\d{4}-\d{4}-\d\d today$/);
    expect(out.note).not.toContain('GB82-WEST');
  });

  test('every dash (en dash, U+2010) separates and invisible characters (U+2063, U+034F, U+200B) are ignored inside numbers', () => {
    for (const card of ['4111\u20131111\u20131111\u20131111', '4111\u20101111\u20101111\u20101111', '4111\u2063111111111111', '41111111\u034F11111111', '4111\u200b1111 1111\u20141111']) {
      expect(scanText(`card ${card} ok`).map((s) => s.entity)).toEqual(['card']);
      const out = (JSON.parse(json({ note: `card ${card} ok` })) as { note: string }).note;
      expect(out.replace(/[^\d]/g, '')).not.toBe('4111111111111111');
      expect(KEEP.anonymize(jsonRequest({ note: `card ${card} ok` }))).toMatchObject({ ok: false, reason: 'leak' });
    }
    expect(scanText('call +44\u201320\u20137946\u20130958').map((s) => s.entity)).toEqual(['phone']);
  });

  test('a UK house number with a letter suffix starts a street', () => {
    expect(found('I live at 221B Baker Street, London')).toContainEqual(['address', '221B Baker Street, London']);
    expect((JSON.parse(json({ note: 'I live at 221B Baker Street, London' })) as { note: string }).note).not.toContain('Baker Street');
    // A model name or a resolution is no house number.
    expect(found('the 4K Ultra HD panel')).toEqual([]);
  });

  test('a Cisco dotted MAC is a MAC; twelve dotted digits are not', () => {
    expect(found('mac 0123.4567.89ab here')).toEqual([['mac', '0123.4567.89ab']]);
    expect(found('version 2023.1201.1530.7 here').map(([e]) => e)).not.toContain('mac');
    const out = (JSON.parse(json({ note: 'switch port 0123.4567.89AB' })) as { note: string }).note;
    expect(out).toMatch(/^switch port [0-9A-F]{4}\.[0-9A-F]{4}\.[0-9A-F]{4}$/);
    expect(out).not.toContain('0123.4567.89AB');
  });

  test('an email with a quoted local part is an email', () => {
    expect(found('write to "john.doe"@example.com now')).toEqual([['email', '"john.doe"@example.com']]);
    const out = (JSON.parse(json({ note: 'write to "john doe"@example.com now' })) as { note: string }).note;
    expect(out).not.toContain('john');
    expect(out).toMatch(/^write to [a-z2-7]{10}@[a-z2-7]{8}\.com now$/);
  });
});

describe('finding 5: a query string\'s + for spaces', () => {
  test('a kept Referer with %2B44+20+7946+0958 has its phone replaced, URL-encoded', () => {
    const referer = 'https://shop.example/search?q=%2B44+20+7946+0958&page=1';
    const out = mustAnonymize(STRICT, jsonRequest({ x: 1 }, '/v1/predict', { referer }));
    const r = out.headers['referer']!;
    expect(r).not.toContain('7946');
    expect(r).toMatch(/^https:\/\/shop\.example\/search\?q=%2B44%20\d\d%20\d{4}%20\d{4}&page=1$/);
    // Without the escape too (07700+900123), and a query value in a text body.
    expect(mustAnonymize(STRICT, jsonRequest({ x: 1 }, '/p', { referer: 'https://a.example/?tel=07700+900123' })).headers['referer']).not.toContain('900123');
    expect(text('from https://a.example/s?q=%2B44+20+7946+0958')).not.toContain('7946');
    // A + outside a query is a plus.
    expect(found('call +44 20 7946 0958')).toEqual([['phone', '+44 20 7946 0958']]);
  });
});

describe('finding 6: dates of birth', () => {
  test('a date after a birth cue in text is a date of birth; a date alone is not', () => {
    expect(found('my dob is 02/03/1985, thanks')).toEqual([['dob', '02/03/1985']]);
    expect(found('I was born on 2nd of March 1985 in Leeds')).toEqual([['dob', '2nd of March 1985']]);
    expect(found('Date of birth: 1985-03-02')).toEqual([['dob', '1985-03-02']]);
    expect(found('DOB March 2, 1985')).toEqual([['dob', 'March 2, 1985']]);
    expect(found('geboren am 2.3.1985')).toEqual([['dob', '2.3.1985']]);
    expect(found('the order of 2024-03-02 shipped')).toEqual([]);
  });

  test('shifted by a keyed number of days in the layout it came in, the same date to the same date in every layout', () => {
    const out = text('my dob is 1985-03-02. DOB: 02.03.1985. Born on 2 March 1985.');
    const [iso, eu, words] = [/dob is (\S+)\./.exec(out)![1]!, /DOB: (\S+)\./.exec(out)![1]!, /Born on (.+)\.$/.exec(out)![1]!];
    expect(iso).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(eu).toMatch(/^\d\d\.\d\d\.\d{4}$/);
    expect(words).toMatch(/^\d{1,2} [A-Z][a-z]+ \d{4}$/);
    expect(iso).not.toBe('1985-03-02');
    const a = parseDate(iso)!, b = parseDate(eu)!, c = parseDate(words)!;
    expect([b.y, b.m, b.d]).toEqual([a.y, a.m, a.d]);
    expect([c.y, c.m, c.d]).toEqual([a.y, a.m, a.d]);
    // Within a year, and the same output on the next request.
    expect(Math.abs(Date.UTC(a.y, a.m - 1, a.d) - Date.UTC(1985, 2, 2))).toBeLessThanOrEqual(365 * 86_400_000);
    expect(text('my dob is 1985-03-02. DOB: 02.03.1985. Born on 2 March 1985.')).toBe(out);
  });

  test('under a birth-like key or column, in JSON and as a kept value', () => {
    const out = JSON.parse(json({ date_of_birth: '02/03/1985', patient: { birthDate: '1985-03-02' } })) as { date_of_birth: string; patient: { birthDate: string } };
    expect(out.date_of_birth).toMatch(/^\d\d\/\d\d\/\d{4}$/);
    expect(out.date_of_birth).not.toBe('02/03/1985');
    expect(out.patient.birthDate).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(KEEP.anonymize(jsonRequest({ note: 'my dob is 02/03/1985' }))).toMatchObject({ ok: false, reason: 'leak' });
    // A year of birth alone stays a year, as the year transform keeps it.
    expect(JSON.parse(json({ dob: 1985, birth_year: '1985' }))).toEqual({ dob: 1985, birth_year: '1985' });
  });
});

describe('finding 6: UK NINO, passports', () => {
  test('a NINO by its HMRC shape, spaced or not; invalid prefixes are not', () => {
    expect(found('NI number AB123456C')).toEqual([['nino', 'AB123456C']]);
    expect(found('ni: AB 12 34 56 C')).toEqual([['nino', 'AB 12 34 56 C']]);
    for (const bad of ['GB123456C', 'DA123456C', 'AB123456E', 'QQ123456C']) expect(found(`ni ${bad}`)).toEqual([]);
    const out = JSON.parse(json({ national_insurance_number: 'QQ 12 34 56 C', note: 'my NINO is AB123456C' })) as Record<string, string>;
    expect(out['national_insurance_number']).toMatch(/^[A-Z]{2} \d\d \d\d \d\d [A-D]$/);
    expect(out['national_insurance_number']).not.toBe('QQ 12 34 56 C');
    expect(out['note']).toMatch(/^my NINO is [A-Z]{2}\d{6}[A-D]$/);
    expect(scanText(out['note']!.slice(11)).map((s) => s.entity)).toEqual(['nino']);
    expect(classifyKey('national_insurance_number')).toBe('nino');
  });

  test('a passport number by key and after a cue; nine digits alone are no passport', () => {
    expect(found('passport number 123456789')).toEqual([['passport', '123456789']]);
    expect(found('my passport no. is X12345678')).toEqual([['passport', 'X12345678']]);
    expect(found('order 123456789 shipped')).toEqual([]);
    const out = JSON.parse(json({ passport_number: 'C03005988', note: 'Passport: 123456789' })) as Record<string, string>;
    expect(out['passport_number']).toMatch(/^[A-Z]\d{8}$/);
    expect(out['passport_number']).not.toBe('C03005988');
    expect(out['note']).toMatch(/^Passport: \d{9}$/);
    expect(out['note']).not.toContain('123456789');
    expect(classifyKey('passportNumber')).toBe('passport');
  });
});

describe('finding 6: GPS coordinates', () => {
  test('a pair by its shape; probabilities and longer number lists are not', () => {
    expect(found('at 51.5072, -0.1276 today')).toEqual([['geo', '51.5072, -0.1276']]);
    expect(found('51.5072° N, 0.1276° W')).toEqual([['geo', '51.5072° N, 0.1276° W']]);
    expect(found('scores 0.1234, 0.5678')).toEqual([]);
    expect(found('weights 1.2345, 2.3456, 3.4567')).toEqual([]);
  });

  test('by key (latitude number, lat query, x-geo header) and by shape in text: coarsened to two places, precision kept', () => {
    const out = mustAnonymize(STRICT, jsonRequest({ latitude: 51.507222, longitude: -0.127647, note: 'meet at 51.5072, -0.1276' }, '/v1/predict?lat=51.5072&lng=-0.1276', { 'x-geo': '51.5072;-0.1276' }));
    expect(JSON.parse(out.body)).toEqual({ latitude: 51.51, longitude: -0.13, note: 'meet at 51.5100, -0.1300' });
    expect(out.url).toBe('/v1/predict?lat=51.5100&lng=-0.1300');
    expect(out.headers['x-geo']).toBe('51.5100;-0.1300');
  });

  test('shift mode moves each point by a keyed offset within shiftMeters, the same point the same way', () => {
    const p = policyFrom({ entities: { geo: { mode: 'shift', shiftMeters: 1000 } } });
    const a = JSON.parse(mustAnonymize(p, jsonRequest({ lat: 51.5072, lon: -0.1276 })).body) as { lat: number; lon: number };
    expect(a.lat).not.toBe(51.5072);
    expect(Math.abs(a.lat - 51.5072)).toBeLessThanOrEqual(1000 / 111_320 + 1e-4);
    expect(JSON.parse(mustAnonymize(p, jsonRequest({ lat: 51.5072, lon: -0.1276 })).body)).toEqual(a);
  });
});

describe('finding 6: postcodes in address context', () => {
  test('UK postcodes in text, US ZIP codes after a state, any code after a cue; a bare number is no ZIP', () => {
    expect(found('London SW1A 1AA')).toEqual([['postcode', 'SW1A 1AA']]);
    expect(found('Springfield, IL 62704')).toEqual([['postcode', '62704']]);
    expect(found('my zip code is 90010-170')).toEqual([['postcode', '90010-170']]);
    expect(found('we sold 62704 units')).toEqual([]);
  });

  test('pseudonyms keep the UK area letters and the US ZIP3', () => {
    const out = JSON.parse(json({ note: 'send it to M1 1AE please', zip: '62704', where: 'Austin, TX 78701-1234' })) as Record<string, string>;
    expect(out['note']).toMatch(/^send it to M\d \d[ABD-HJLNP-UW-Z]{2} please$/);
    expect(out['note']).not.toContain('M1 1AE');
    expect(out['zip']).toMatch(/^627\d\d$/);
    expect(out['zip']).not.toBe('62704');
    expect(out['where']).toMatch(/^Austin, TX 787\d\d-\d{4}$/);
  });
});

describe('finding 7: cards by issuer', () => {
  test('a card needs an issuer prefix and a length of its network, not only Luhn', () => {
    for (const card of ['4111111111111111', '4012888888881881', '4222222222222', '5555555555554444', '2223003122003222', '378282246310005',
      '371449635398431', '6011111111111117', '6011000990139424', '3530111333300000', '3566002020360505', '30569309025904',
      '36227206271667', '6200000000000005', '6759649826438453', '060426070011']) {
      expect(cardNetwork(card), card).toBeDefined();
      expect(found(`card ${card} ok`), card).toEqual([['card', card]]);
    }
    // Luhn-valid but no network: 15 digits starting with 1 (UATP, off), a 15-digit Visa, 16 digits starting 19 or 9.
    for (const body of ['12345678901234', '41111111111111', '190000000000000', '900000000000000']) {
      const id = body + luhnCheckDigit(body);
      expect(luhnValid(id)).toBe(true);
      expect(cardDigitsValid(id), id).toBe(false);
    }
  });

  test('UATP is off unless the policy turns it on', () => {
    const uatp = '135412345678911';
    expect(luhnValid(uatp)).toBe(true);
    expect(SCAN.findLeaks(JSON.stringify({ request_id: Number(uatp) }))).toEqual([]);
    const on = policyFrom({ entities: { uatpCards: true } });
    expect(on.findLeaks(JSON.stringify({ request_id: Number(uatp) }))).toEqual(['card']);
    expect(on.findLeaks(`ticket ${uatp}`)).toEqual(['card']);
    expect(JSON.parse(mustAnonymize(on, jsonRequest({ note: `ticket ${uatp}` })).body)).not.toEqual({ note: `ticket ${uatp}` });
  });

  test('the dataset guard: 0 drops in 2,000 seeded random Luhn-valid 15–19-digit ids without an issuer prefix; real cards still caught', () => {
    const next = rng(20);
    let tried = 0;
    let dropped = 0;
    while (tried < 2000) {
      const len = 15 + Math.floor(next() * 5);
      let body = String(1 + Math.floor(next() * 9));
      while (body.length < len - 1) body += String(Math.floor(next() * 10));
      const id = body + luhnCheckDigit(body);
      if (cardNetwork(id) !== undefined) continue;
      tried++;
      // As a JSON number (read as written), in a string and in free text.
      const answer = `{"request_id":${id},"trace":"${id}","note":"request ${id} done"}`;
      if (SCAN.findLeaks(answer).length > 0) dropped++;
    }
    expect(dropped).toBe(0);
    for (const card of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117']) {
      expect(SCAN.findLeaks(`{"id":${card}}`)).toEqual(['card']);
      expect(SCAN.findLeaks(`{"note":"paid with ${card}"}`)).toEqual(['card']);
    }
  });
});
