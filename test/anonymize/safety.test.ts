// Bounded work: pathological inputs finish within the test timeout (no catastrophic backtracking), and a
// string longer than maxScanBytes is refused rather than scanned without bound.
import { describe, expect, test } from 'vitest';
import { scanText } from '../../src/anonymize/scan.js';
import { mustAnonymize, policyFrom } from './helpers.js';

const KB100 = 100 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(KB100 / unit.length)).slice(0, KB100);

describe('safety', () => {
  test.each([
    ['a@a@a…', fill('a@')], ['digits', fill('1')], ['digit groups', fill('1 ')], ['dashed digits', fill('12-')],
    ['dotted digits', fill('1.')], ['colons', fill('a:')], ['hex colons', fill('ab:')], ['jwt prefixes', fill('eyJ')],
    ['jwt dots', fill('eyJab.')], ['key headers', fill('-----BEGIN RSA PRIVATE KEY-----')], ['capitalised words', fill('Anna ')],
    ['capitals', fill('A')], ['url userinfo', fill('a://b:c')], ['bearer', fill('Bearer ')], ['plus parens', fill('+1 (')],
    ['letters', fill('a')], ['house numbers', fill('12 Main ')], ['iban-like', fill('DE89 ')],
  ])('scanning 100 KB of %s stays linear', (_name, text) => {
    // The bound is the test timeout: a backtracking regex would take minutes here, not milliseconds.
    const spans = scanText(text);
    expect(Array.isArray(spans)).toBe(true);
  }, 60_000);

  test('a request body of 100 KB of a@a@a… is anonymized when maxScanBytes allows it', () => {
    const p = policyFrom({}, { maxScanBytes: 256 * 1024 });
    const out = mustAnonymize(p, { method: 'POST', url: '/t', headers: { 'content-type': 'text/plain' }, body: Buffer.from(fill('a@')) });
    expect(out.body).toHaveLength(KB100);
  }, 60_000);

  test('a string value longer than maxScanBytes drops the copy as scan_limit (finding 8: was unsupported, counted no_policy)', () => {
    const p = policyFrom({}, { maxScanBytes: 1024 });
    const outcome = p.anonymize({ method: 'POST', url: '/t', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ note: 'x'.repeat(2048) })) });
    expect(outcome).toMatchObject({ ok: false, reason: 'scan_limit' });
    expect(p.anonymize({ method: 'POST', url: '/t', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ note: 'x'.repeat(512) })) }).ok).toBe(true);
  });
});
