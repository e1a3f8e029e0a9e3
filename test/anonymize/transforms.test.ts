// Shape-keeping transforms: valid outputs (Luhn, mod-97, 9xx SSN, phone digit count), determinism per key.
import { describe, expect, test } from 'vitest';
import { ibanValid, luhnValid } from '../../src/anonymize/checksums.js';
import { KeyedHash } from '../../src/anonymize/keyed.js';
import {
  bucketOf, pseudonym, pseudonymizeCard, pseudonymizeEmail, pseudonymizeIban, pseudonymizeIp, pseudonymizeMac,
  pseudonymizeName, pseudonymizePhone, pseudonymizeSsn, shiftDate, yearOf,
} from '../../src/anonymize/transforms.js';
import { FIRST_NAMES, FIRST_NAME_LIST, SURNAMES, SURNAME_LIST } from '../../src/anonymize/data/names.js';
import { TEST_KEY } from './helpers.js';

const h = new KeyedHash(Buffer.from(TEST_KEY), 100);
const other = new KeyedHash(Buffer.from(`${TEST_KEY}-other`), 100);

describe('transforms', () => {
  test('a pseudonym is prefix + 16 base32 characters, stable per key and different under another key', () => {
    const a = pseudonym(h, 'user-42', 'u_');
    expect(a).toMatch(/^u_[a-z2-7]{16}$/);
    expect(pseudonym(h, 'user-42', 'u_')).toBe(a);
    expect(pseudonym(other, 'user-42', 'u_')).not.toBe(a);
    expect(pseudonym(h, 'user-43', 'u_')).not.toBe(a);
  });

  test('a numeric pseudonym stays a number with the same digit count', () => {
    const n = pseudonym(h, 829341, '');
    expect(typeof n).toBe('number');
    expect(String(n)).toHaveLength(6);
    expect(n).not.toBe(829341);
  });

  test('an email keeps a public provider domain and the TLD of a private one', () => {
    const pub = pseudonymizeEmail(h, 'Jane.Doe@gmail.com');
    expect(pub).toMatch(/^[a-z2-7]{10}@gmail\.com$/);
    expect(pseudonymizeEmail(h, 'jane.doe@GMAIL.com')).toBe(pub);
    const priv = pseudonymizeEmail(h, 'jane@acme-corp.co.uk');
    expect(priv).toMatch(/^[a-z2-7]{10}@[a-z2-7]{8}\.co\.uk$/);
    expect(priv).not.toContain('acme');
  });

  test('a card keeps its length, separators and issuer digit and has a valid Luhn digit', () => {
    for (const card of ['4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '6011000990139424']) {
      const out = String(pseudonymizeCard(h, card));
      expect(out.length).toBe(card.length);
      expect(out.replace(/\d/g, '#')).toBe(card.replace(/\d/g, '#'));
      expect(out[0]).toBe(card[0]);
      expect(luhnValid(out.replace(/\D/g, ''))).toBe(true);
      expect(out).not.toBe(card);
    }
  });

  test('an IBAN keeps its country, length and spacing and passes mod-97', () => {
    for (const iban of ['DE89370400440532013000', 'GB82 WEST 1234 5698 7654 32', 'fr1420041010050500013m02606']) {
      const out = pseudonymizeIban(h, iban);
      expect(out.length).toBe(iban.length);
      expect(out.slice(0, 2).toUpperCase()).toBe(iban.slice(0, 2).toUpperCase());
      expect(ibanValid(out.replace(/\s/g, '').toUpperCase())).toBe(true);
      expect(out.replace(/\s/g, '')).not.toBe(iban.replace(/\s/g, ''));
    }
  });

  test('an SSN lands in the never-issued 9xx area with a valid group and serial', () => {
    const out = pseudonymizeSsn(h, '078-05-1121');
    expect(out).toMatch(/^9\d\d-(?!00)\d\d-(?!0000)\d{4}$/);
    expect(pseudonymizeSsn(h, '078051121')).toMatch(/^9\d{8}$/);
  });

  test('a phone keeps its country code, trunk 0, format and digit count', () => {
    const e164 = String(pseudonymizePhone(h, '+44 7700 900123'));
    expect(e164).toMatch(/^\+44 \d{4} \d{6}$/);
    expect(e164).not.toBe('+44 7700 900123');
    const us = String(pseudonymizePhone(h, '(415) 555-0132'));
    expect(us).toMatch(/^\(\d{3}\) \d{3}-\d{4}$/);
    expect(String(pseudonymizePhone(h, '030 1234567'))).toMatch(/^0\d{2} \d{7}$/);
  });

  test('an IP keeps its /24 or /48 prefix, or moves into documentation ranges', () => {
    const v4 = pseudonymizeIp(h, '10.1.2.77', 'prefix');
    expect(v4).toMatch(/^10\.1\.2\.\d{2}$/);
    expect(v4).not.toBe('10.1.2.77');
    expect(pseudonymizeIp(h, '10.1.2.77', 'documentation')).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
    expect(pseudonymizeIp(h, '2a00:1450:4001:81b::200e', 'prefix')).toMatch(/^2a00:1450:4001(:[0-9a-f]{1,4}){5}$/);
    expect(pseudonymizeIp(h, '2a00:1450:4001:81b::200e', 'documentation')).toMatch(/^2001:db8(:[0-9a-f]{1,4}){6}$/);
  });

  test('a MAC becomes a locally administered address in the same notation', () => {
    const out = pseudonymizeMac(h, '00:1A:2B:3C:4D:5E');
    expect(out).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
    expect(parseInt(out.slice(0, 2), 16) & 0x03).toBe(0x02);
  });

  test('names come from the bundled lists of at least 1,000 first names and 1,000 surnames', () => {
    expect(FIRST_NAME_LIST.length).toBeGreaterThanOrEqual(1000);
    expect(SURNAME_LIST.length).toBeGreaterThanOrEqual(1000);
    const [first, last] = pseudonymizeName(h, 'Ada Lovelace').split(' ');
    expect(FIRST_NAMES.has(first!.toLowerCase())).toBe(true);
    expect(SURNAMES.has(last!.toLowerCase())).toBe(true);
    // Per token: the surname alone maps as it does inside the full name.
    expect(pseudonymizeName(h, 'Lovelace', 'last')).toBe(last);
  });

  test('date-shift moves one subject\'s dates by the same non-zero offset, so intervals survive', () => {
    const a = shiftDate(h, '2024-01-10', 'user-1', 365);
    const b = shiftDate(h, '2024-03-01', 'user-1', 365);
    expect(a).not.toBe('2024-01-10');
    const interval = (x: string, y: string) => (Date.parse(y) - Date.parse(x)) / 86_400_000;
    expect(interval(String(a), String(b))).toBe(interval('2024-01-10', '2024-03-01'));
    expect(shiftDate(h, '2024-01-10T08:30:00Z', 'user-1', 365)).toBe(`${String(a)}T08:30:00Z`);
  });

  test('year and bucket keep only coarse information', () => {
    expect(yearOf('1985-04-12')).toBe('1985');
    expect(yearOf(1985)).toBe(1985);
    expect(bucketOf(37, [18, 30, 45, 65])).toBe('30-45');
    expect(bucketOf(5, [18, 30])).toBe('<18');
    expect(bucketOf(99, [18, 30])).toBe('30+');
  });
});
