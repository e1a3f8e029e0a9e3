// Precision of `unknown: scan` on structured values: categorical model features (merchant, city, country,
// two-word brands) pass unchanged, while names under revealing keys, after cues and in free text do not.
import { describe, expect, test } from 'vitest';
import { isCategoricalKey } from '../../src/anonymize/detectors/key-names.js';
import { scanText } from '../../src/anonymize/scan.js';
import { jsonRequest, mustAnonymize, policyFrom } from './helpers.js';

const policy = policyFrom({});
const scan = (body: unknown) => JSON.parse(mustAnonymize(policy, jsonRequest(body)).body) as Record<string, unknown>;
const form = (body: string) => mustAnonymize(policyFrom({}), {
  method: 'POST', url: '/f', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(body),
}).body;

describe('unknown: scan on structured values', () => {
  test('categorical features stay exact: merchant, city, country, currency, device', () => {
    const tx = {
      transaction: { merchant: 'Urban Threads', merchant_category: 'fashion', country: 'DE', currency: 'EUR', device: 'mobile' },
      user: { address: { city: 'Valencia', country: 'BR' } },
      cities: ['Sao Paulo', 'Valencia', 'Victoria'],
    };
    expect(scan(tx)).toEqual(tx);
    expect(scan({ city: 'Sao Paulo', billing_country: 'GB', merchant_name: 'Corner Bakery' }))
      .toEqual({ city: 'Sao Paulo', billing_country: 'GB', merchant_name: 'Corner Bakery' });
  });

  test('two-word brand names and single listed words under innocuous keys are not names', () => {
    const body = { label: 'Urban Threads', shop: 'Daily Pharmacy', alpha: 'Valencia', beta: 'Sao Paulo', gamma: 'Jordan' };
    expect(scan(body)).toEqual(body);
  });

  test('other detectors still run under categorical keys', () => {
    const out = scan({ merchant: 'pay jane@acme.io', city: '203.0.113.9' });
    expect(out.merchant).not.toContain('jane@acme.io');
    expect(out.city).not.toBe('203.0.113.9');
  });

  test('a full name, a titled name and a name in prose are still replaced in structured values', () => {
    const out = scan({ alpha: 'Mateo Santos', beta: 'Dr Okafor', gamma: 'please call Sara Schwarz tomorrow', city: 'ask Mateo Santos about it' });
    expect(out.alpha).not.toContain('Mateo');
    expect(out.alpha).not.toContain('Santos');
    expect(out.beta).not.toContain('Okafor');
    expect(out.gamma).not.toContain('Schwarz');
    expect(out.gamma).toMatch(/^please call \S+ \S+ tomorrow$/);
    expect(scan({ customer: 'Urban Threads' }).customer).not.toBe('Urban Threads');
  });

  test('form and query values follow the same rules', () => {
    expect(form('city=Valencia&merchant=Urban+Threads&alpha=Sao+Paulo')).toBe('city=Valencia&merchant=Urban%20Threads&alpha=Sao%20Paulo');
    expect(form('alpha=Mateo+Santos')).not.toContain('Santos');
  });

  test('the key classifier names categorical keys by their head word, never a revealing key', () => {
    for (const k of ['merchant', 'merchant_category', 'city', 'billingCountry', 'currency', 'device_type', 'status', 'model']) expect(isCategoricalKey(k)).toBe(true);
    for (const k of ['name', 'customer', 'merchant_owner', 'device_id', 'note', 'alpha', 'first_name']) expect(isCategoricalKey(k)).toBe(false);
  });

  test('a structured scan finds a subset of what a free-text scan finds', () => {
    for (const t of ['Valencia', 'Sao Paulo', 'Urban Threads', 'Mateo Santos', 'Dr Okafor']) {
      const free = scanText(t).map((s) => `${s.start}-${s.end}`);
      for (const s of scanText(t, { structured: true })) expect(free).toContain(`${s.start}-${s.end}`);
    }
    expect(scanText('Valencia', { structured: true })).toEqual([]);
    expect(scanText('Valencia').map((s) => s.entity)).toEqual(['person']);
  });
});
