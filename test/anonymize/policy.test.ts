// Policies end to end over RawRequest: headers, query, path params, form, JSON paths, unknown modes,
// formats, the leak guard failing closed, the policy id, and key handling.
import { describe, expect, test } from 'vitest';
import { createAnonymizer, generateKey } from '../../src/anonymize/index.js';
import { luhnValid } from '../../src/anonymize/checksums.js';
import { anonymizeSchema } from '../../src/config/schema/anonymize.js';
import { ConfigError } from '../../src/errors.js';
import { TEST_KEY, jsonRequest, mustAnonymize, policyFrom } from './helpers.js';

describe('headers', () => {
  test('only kept headers pass; credentials are pseudonymized even when kept; content-length never passes', () => {
    const p = policyFrom({ headers: { keep: ['Content-Type', 'authorization', 'cookie', 'x-api-key', 'content-length', 'user-agent'] } });
    const out = mustAnonymize(p, jsonRequest({}, '/v1/predict', {
      authorization: 'Bearer s3cr3t-token-value', cookie: 'sid=abc123; theme=dark', 'x-api-key': 'k-123456',
      'content-length': '2', 'x-user-id': 'u-1', 'user-agent': 'curl/8.0',
    }));
    expect(Object.keys(out.headers).sort()).toEqual(['authorization', 'content-type', 'cookie', 'user-agent', 'x-api-key']);
    expect(out.headers.authorization).toMatch(/^Bearer cred_[a-z2-7]{16}$/);
    expect(out.headers.cookie).toMatch(/^sid=cred_[a-z2-7]{16}; theme=cred_[a-z2-7]{16}$/);
    expect(out.headers['x-api-key']).toMatch(/^cred_/);
    expect(JSON.stringify(out.headers)).not.toMatch(/s3cr3t|abc123|k-123456/);
  });
});

describe('url', () => {
  test('path params named by a template get their transform; query names stay and values are transformed', () => {
    const p = policyFrom({
      pathParams: [{ template: '/v1/users/{id}/score', params: { id: { type: 'pseudonym', prefix: 'u_' } } }],
      query: { email: 'email', limit: 'keep' },
    });
    const out = mustAnonymize(p, { method: 'GET', url: '/v1/users/829341/score?email=jane%40acme.io&limit=10&note=call%20%2B1-415-555-0132', headers: {}, body: Buffer.alloc(0) });
    const [path, query] = out.url.split('?');
    expect(path).toMatch(/^\/v1\/users\/u_[a-z2-7]{16}\/score$/);
    const params = new URLSearchParams(query);
    expect([...params.keys()]).toEqual(['email', 'limit', 'note']);
    expect(params.get('email')).toMatch(/^[a-z2-7]{10}@[a-z2-7]{8}\.io$/);
    expect(params.get('limit')).toBe('10');
    expect(params.get('note')).toMatch(/^call \+1-\d{3}-\d{3}-\d{4}$/);
    expect(params.get('note')).not.toContain('415-555-0132');
  });

  test('segments outside a template are scanned', () => {
    const out = mustAnonymize(policyFrom({}), { method: 'GET', url: '/v1/lookup/jane%40acme.io', headers: {}, body: Buffer.alloc(0) });
    expect(out.url).toMatch(/^\/v1\/lookup\/[a-z2-7]{10}%40[a-z2-7]{8}\.io$/);
  });
});

describe('bodies', () => {
  test('JSON paths: $.a.b, $.items[*].email and $..email, numbers untouched unless named', () => {
    const p = policyFrom({ fields: { '$.user.id': 'pseudonym', '$.items[*].email': 'email', '$..ssn': 'ssn', '$.user.age': { type: 'bucket', edges: [18, 30, 45] } } });
    const body = {
      user: { id: 'u-1', age: 37, score: 0.5, profile: { ssn: '536-22-8726' } },
      items: [{ email: 'a@acme.io', qty: 2 }, { email: 'b@gmail.com', qty: 3 }],
    };
    const out = JSON.parse(mustAnonymize(p, jsonRequest(body)).body);
    expect(out.user.id).toMatch(/^[a-z2-7]{16}$/);
    expect(out.user.age).toBe('30-45');
    expect(out.user.score).toBe(0.5);
    expect(out.user.profile.ssn).toMatch(/^9\d\d-\d\d-\d{4}$/);
    expect(out.items.map((i: { qty: number }) => i.qty)).toEqual([2, 3]);
    expect(out.items[1].email).toMatch(/@gmail\.com$/);
  });

  test('unknown: scan uses the key-name classifier and scans free text; drop removes unnamed fields', () => {
    const body = { customer: 'Ada Lovelace', firstName: 'Ada', dob: '1815-12-10', card: '4111111111111111', note: 'mail ada@acme.io', model: 'v2', n: 3 };
    const scanned = JSON.parse(mustAnonymize(policyFrom({}), jsonRequest(body)).body);
    expect(scanned.customer).toMatch(/^\p{Lu}\S+ \p{Lu}\S+$/u);
    expect(scanned.customer).not.toBe('Ada Lovelace');
    expect(scanned.firstName).not.toBe('Ada');
    // A date of birth keeps its shape, shifted by a keyed number of days (issue 20).
    expect(scanned.dob).toMatch(/^1[89]1[56]-\d\d-\d\d$/);
    expect(scanned.dob).not.toBe('1815-12-10');
    expect(luhnValid(scanned.card)).toBe(true);
    expect(scanned.note).toMatch(/^mail [a-z2-7]{10}@[a-z2-7]{8}\.io$/);
    expect([scanned.model, scanned.n]).toEqual(['v2', 3]);
    const dropped = JSON.parse(mustAnonymize(policyFrom({ unknown: 'drop', fields: { '$.model': 'keep' } }), jsonRequest(body)).body);
    expect(dropped).toEqual({ model: 'v2' });
  });

  test('form bodies follow form rules and unknown', () => {
    const p = policyFrom({ form: { phone: 'phone' } });
    const out = mustAnonymize(p, { method: 'POST', url: '/f', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('phone=%2B44+7700+900123&plan=basic&contact=jane%40acme.io') });
    const form = new URLSearchParams(out.body);
    expect(form.get('phone')).toMatch(/^\+44 \d{4} \d{6}$/);
    expect(form.get('plan')).toBe('basic');
    expect(form.get('contact')).toMatch(/@[a-z2-7]{8}\.io$/);
  });

  test('text is scanned; binary drops the copy unless kept; invalid JSON drops the copy, never sent empty or raw', () => {
    const text = mustAnonymize(policyFrom({}), { method: 'POST', url: '/t', headers: { 'content-type': 'text/plain' }, body: Buffer.from('hi, I am Sara Schwarz') });
    expect(text.body).not.toContain('Sara Schwarz');
    const bin = { method: 'POST', url: '/b', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([1, 2, 3]) };
    expect(policyFrom({}).anonymize(bin)).toMatchObject({ ok: false, reason: 'unsupported_body' });
    expect(mustAnonymize(policyFrom({ keepUnknownBodies: true }), bin).body).toBe('\u0001\u0002\u0003');
    const bad = { method: 'POST', url: '/j', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"email": "jane@acme.io",') };
    expect(policyFrom({}).anonymize(bad)).toMatchObject({ ok: false, reason: 'malformed_body' });
    expect(policyFrom({ unknown: 'keep', keepUnknownBodies: true }).anonymize(bad)).toMatchObject({ ok: false, reason: 'malformed_body' });
  });
});

describe('leak guard', () => {
  test('a copy is dropped when a rule is missing and personal data would pass (unknown: keep)', () => {
    const p = policyFrom({ unknown: 'keep', fields: { '$.user.email': 'email' } });
    const ok = p.anonymize(jsonRequest({ user: { email: 'jane@acme.io' }, model: 'v2' }));
    expect(ok.ok).toBe(true);
    const leaky = p.anonymize(jsonRequest({ user: { email: 'jane@acme.io' }, contact: 'reach me at bob@acme.io' }));
    expect(leaky).toMatchObject({ ok: false, reason: 'leak' });
    if (!leaky.ok) expect(leaky.detail).not.toContain('bob');
    expect(p.anonymize(jsonRequest({ firstName: 'Ada' }))).toMatchObject({ ok: false, reason: 'leak' });
  });

  test('an explicit keep is still checked by the detectors', () => {
    const p = policyFrom({ fields: { '$.note': 'keep' } });
    expect(p.anonymize(jsonRequest({ note: 'card 4111 1111 1111 1111' }))).toMatchObject({ ok: false, reason: 'leak' });
  });

  test('personal data in a JSON key fails the copy', () => {
    expect(policyFrom({}).anonymize(jsonRequest({ 'jane@acme.io': 1 }))).toMatchObject({ ok: false, reason: 'leak' });
  });

  test('replacements are counted per entity', () => {
    const out = policyFrom({}).anonymize(jsonRequest({ email: 'a@acme.io', note: 'call 415-555-0132 or 415-555-0133' }));
    expect(out.ok && Object.fromEntries(out.replacements)).toEqual({ email: 1, phone: 2 });
  });

  test('findLeaks allows pseudonyms this policy wrote and reports other personal data', () => {
    const p = policyFrom({});
    const out = mustAnonymize(p, jsonRequest({ email: 'a@acme.io' }));
    const pseudo = JSON.parse(out.body).email as string;
    expect(p.findLeaks(JSON.stringify({ echo: pseudo, score: 1700000000123 }))).toEqual([]);
    expect(p.findLeaks('{"answer":"ask bob@acme.io"}')).toEqual(['email']);
    expect(p.findLeaks('plain text with 536-22-8726')).toEqual(['ssn']);
  });
});

describe('policy id and key', () => {
  test('the id is name@ + 12 hex digits of the canonical policy, independent of key order', () => {
    const a = policyFrom({ query: { a: 'keep', b: 'drop' } });
    const b = policyFrom({ query: { b: 'drop', a: 'keep' } });
    expect(a.id).toMatch(/^p@[0-9a-f]{12}$/);
    expect(b.id).toBe(a.id);
    expect(policyFrom({ query: { a: 'keep' } }).id).not.toBe(a.id);
  });

  test('a policy in use without a usable key refuses to start, without quoting the key', () => {
    const noKey = anonymizeSchema.parse({ policies: { p: {} } });
    expect(() => createAnonymizer(noKey, ['p'])).toThrow(ConfigError);
    expect(() => createAnonymizer(noKey, ['p'])).toThrow(/anonymize.key.*"p"/s);
    const short = anonymizeSchema.parse({ key: 'short-secret-value', policies: { p: {} } });
    expect(() => createAnonymizer(short, ['p'])).toThrow(/at least 32/);
    try { createAnonymizer(short, ['p']); } catch (err) { expect(String((err as Error).message)).not.toContain('short-secret-value'); }
    expect(createAnonymizer(noKey, []).policy('p')).toBeUndefined();
    expect(() => createAnonymizer(anonymizeSchema.parse({ key: TEST_KEY }), ['missing'])).toThrow(/"missing"/);
  });

  test('the key can come from keyFile; an unreadable key file is a clear error', () => {
    const keyFile = new URL('./fixtures/test.key', import.meta.url).pathname;
    const cfg = anonymizeSchema.parse({ keyFile, policies: { p: {} } });
    expect(createAnonymizer(cfg, ['p']).policy('p')?.id).toMatch(/^p@/);
    const missing = anonymizeSchema.parse({ keyFile: `${keyFile}.missing`, policies: { p: {} } });
    expect(() => createAnonymizer(missing, ['p'])).toThrow(/anonymize\.keyFile: cannot read the key file \(ENOENT\)/);
  });

  test('bad JSON paths are reported with their place in the file', () => {
    const cfg = anonymizeSchema.parse({ key: TEST_KEY, policies: { p: { fields: { 'user.email': 'email' } } } });
    expect(() => createAnonymizer(cfg, ['p'])).toThrow(/anonymize\.policies\.p\.fields\["user\.email"\]/);
  });

  test('generateKey gives 32 random bytes in base64url', () => {
    const k = generateKey();
    expect(Buffer.from(k, 'base64url')).toHaveLength(32);
    expect(generateKey()).not.toBe(k);
  });
});

describe('metric labels', () => {
  test('every replacement label is in the bounded REPLACEMENT_LABELS set', async () => {
    const { REPLACEMENT_LABELS } = await import('../../src/anonymize/index.js');
    const p = policyFrom({ fields: { '$.a': 'redact', '$.b': { type: 'bucket', edges: [1, 2] }, '$.c': 'date-shift', '$.d': 'name', '$.e': 'pseudonym' } });
    const out = p.anonymize(jsonRequest({ a: 'x', b: 1, c: '2020-01-01', d: 'Ann Lee', e: 'u1', f: 'mail a@acme.io from 10.0.0.1', g: '00:1a:2b:3c:4d:5e' }));
    expect(out.ok).toBe(true);
    for (const label of out.replacements.keys()) expect(REPLACEMENT_LABELS).toContain(label);
    expect(out.replacements.size).toBeGreaterThanOrEqual(7);
  });
});
