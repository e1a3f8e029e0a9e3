// Byte-identity of the anonymizer across speed work: a few thousand seeded documents (JSON bodies of the
// bench's shapes and random trees with planted personal data, escapes, odd numbers; NDJSON and form bodies;
// URLs with queries; credential headers) go through five policies, and every outcome (ok or the reason,
// the URL, headers, body bytes, replacement counts) must hash as it did on main 928958f, whose outputs
// test/anonymize/fixtures/golden.json holds (per document, the first 12 hex digits of its SHA-256). No
// pseudonym may move and no raw value may pass. The documents run through one policy in order (warm
// caches) and again, a share of them, through fresh policies (cold caches), which must agree.
// To rewrite the golden file (only for an intended change of output): SHADOWGATE_WRITE_GOLDEN=1.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { CompiledPolicy } from '../../src/anonymize/index.js';
import { seededRandom } from '../../src/compare/stats.js';
import type { RawRequest } from '../../src/exchange.js';
import { policyFrom } from './helpers.js';

const GOLDEN = fileURLToPath(new URL('./fixtures/golden.json', import.meta.url));

const DEMO = {
  headers: { keep: ['content-type', 'accept', 'user-agent', 'authorization', 'cookie', 'x-user-email'] },
  fields: {
    '$.user.id': { type: 'pseudonym', prefix: 'u_' }, '$.user.email': 'email', '$.user.name': 'name', '$.user.phone': 'phone',
    '$.user.dob': 'year', '$.user.ip': 'ip', '$.user.address.street': 'redact', '$.user.address.postcode': 'redact',
    '$.payment.card': 'card', '$.payment.iban': 'iban', '$.note': 'text',
  },
  query: { token: 'pseudonym' },
  unknown: 'scan',
};
const RECORDS = { fields: { '$.records[*].name': 'name', '$.records[*].email': 'email', '$.records[*].phone': 'phone' }, unknown: 'scan' };
const MIXED_FIELDS = {
  '$..email': 'email', '$.user.dob': { type: 'date-shift', subject: '$.user.id' }, '$.meta': 'keep', '$.secret': 'drop',
  '$.amount': { type: 'bucket', edges: [0, 10, 100] }, '$.items[*].name': 'name', '$.items[0].phone': 'phone', '$.note': 'text',
  '$.rows[*].ssn': 'ssn', '$.ids': 'pseudonym', '$.geo': 'geo', '$.user.card': 'card',
};
const POLICIES: Record<string, Record<string, unknown>> = {
  demo: DEMO, records: RECORDS,
  scan: { fields: MIXED_FIELDS, unknown: 'scan', form: { user: 'pseudonym' } },
  keep: { fields: MIXED_FIELDS, unknown: 'keep' },
  drop: { fields: MIXED_FIELDS, unknown: 'drop' },
};

const FIRST = ['Ada', 'Grace', 'Linus', 'Sara', 'Jonas', 'Mette', 'Priya', 'Kenji', 'Lucia', 'Omar', 'Mateo', 'Zoë'];
const LAST = ['Lovelace', 'Hopper', 'Schwarz', 'Nielsen', 'Sharma', 'Tanaka', 'Rossi', 'Haddad', 'Kowalski', 'Dubois', 'Santos', 'Øster'];
const KEYS = ['user', 'email', 'items', 'name', 'phone', 'meta', 'ids', 'note', 'city', 'merchant', 'alpha', 'amount', 'first_name',
  'ip', 'tags', 'rows', 'ssn', 'secret', 'geo', 'card', 'id', 'dob', 'text', 'given', 'family', 'contact', 'status', 'features',
  'merchant_category', 'currency', 'comment', 'iban', 'bob@acme.io', 'x', 'Mateo Santos', 'a\u00e9', 'k"q', 'records'];
const WORDS = ['ok', 'approved', 'pending', 'Valencia', 'Urban Threads', 'grocery', 'USD', 'mobile', 'Springfield', 'FreshMart', 'retail', ''];

type Gen = () => number;
const pick = <T>(g: Gen, a: readonly T[]): T => a[Math.floor(g() * a.length)]!;
const digits = (g: Gen, n: number) => Array.from({ length: n }, () => Math.floor(g() * 10)).join('');

function luhn(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = body + String(d);
    let sum = 0;
    for (let i = 0; i < s.length; i++) { let x = Number(s[s.length - 1 - i]); if (i % 2 === 1) { x *= 2; if (x > 9) x -= 9; } sum += x; }
    if (sum % 10 === 0) return s;
  }
  return body;
}

/** One leaf string: plain words, personal values of every kind, prose that mentions them, escapes. */
function leaf(g: Gen, i: number): string {
  const name = `${pick(g, FIRST)} ${pick(g, LAST)}`;
  const email = `${name.toLowerCase().replace(' ', '.')}${i % 50}@${pick(g, ['gmail.com', 'example-corp.com', 'mail.de', 'acme.co.uk'])}`;
  const phone = pick(g, [`+1-${2 + Math.floor(g() * 8)}${digits(g, 2)}-${digits(g, 3)}-${digits(g, 4)}`, `+44 7700 ${digits(g, 6)}`, `(415) 555-${digits(g, 4)}`]);
  switch (Math.floor(g() * 16)) {
    case 0: return name;
    case 1: return email;
    case 2: return phone;
    case 3: return luhn(`4${digits(g, 14)}`);
    case 4: return `${10 + Math.floor(g() * 200)}.${Math.floor(g() * 255)}.${Math.floor(g() * 255)}.${Math.floor(g() * 255)}`;
    case 5: return pick(g, ['DE89370400440532013000', 'GB82 WEST 1234 5698 7654 32', '078-05-1120', 'AB123456C', '2001:db8::1']);
    case 6: return `Please send the receipt to ${email}, thanks ${name}`;
    case 7: return `Customer ${name} called from ${phone} about order ${digits(g, 6)}`;
    case 8: return pick(g, ['tab\there "quoted" \\ back', 'caf\u00e9 \u2028 line', 'emoji \ud83d\ude00 ok', 'lone \ud800 half', 'ctl \u0001 x']);
    case 9: return `19${50 + Math.floor(g() * 50)}-0${1 + Math.floor(g() * 9)}-1${Math.floor(g() * 9)}`;
    case 10: return Buffer.from(`{"name":"${name}","email":"${email}"}`).toString('base64');
    case 11: return `met with ${name} at 12 Market Street, Springfield`;
    default: return pick(g, WORDS);
  }
}

function num(g: Gen): number | string {
  switch (Math.floor(g() * 7)) {
    case 0: return Math.floor(g() * 100);
    case 1: return Math.round(g() * 1e6) / 100;
    case 2: return Number(luhn(`5${digits(g, 14)}`));
    case 3: return Number(`1415555${digits(g, 4)}`);
    case 4: return -Math.floor(g() * 1e9);
    case 5: return g() * 1e-7;
    default: return Math.floor(g() * 1e12);
  }
}

function tree(g: Gen, i: number, depth: number): unknown {
  const r = g();
  if (depth > 0 && r < 0.25) {
    const o: Record<string, unknown> = {};
    for (let k = Math.floor(g() * 5); k > 0; k--) o[pick(g, KEYS)] = tree(g, i, depth - 1);
    return o;
  }
  if (depth > 0 && r < 0.4) return Array.from({ length: Math.floor(g() * 4) }, () => tree(g, i, depth - 1));
  if (r < 0.75) return leaf(g, i);
  if (r < 0.92) return num(g);
  return pick(g, [true, false, null]);
}

/** A bench-shaped keyed body (anonymize-throughput's makeRequest, with a few more fields). */
function keyed(g: Gen, i: number): unknown {
  const name = `${pick(g, FIRST)} ${pick(g, LAST)}`;
  return {
    user: {
      id: g() < 0.8 ? `user-${i}` : i, email: leaf(g, i), name, phone: leaf(g, i), dob: `19${50 + Math.floor(g() * 50)}-0${1 + Math.floor(g() * 9)}-1${Math.floor(g() * 9)}`,
      ip: `${11 + Math.floor(g() * 200)}.${Math.floor(g() * 255)}.${Math.floor(g() * 255)}.${Math.floor(g() * 255)}`,
      address: { street: `${digits(g, 3)} Market Street`, postcode: digits(g, 5), city: pick(g, WORDS), country: 'US' },
      segment: pick(g, ['retail', 'premium', 'business']),
    },
    payment: g() < 0.5 ? { card: luhn(`4${digits(g, 14)}`) } : { card: Number(luhn(`4${digits(g, 14)}`)), iban: 'DE89370400440532013000' },
    transaction: { amount: Math.round(g() * 50000) / 100, currency: 'USD', merchant: pick(g, WORDS), hour: Math.floor(g() * 24), card_present: g() < 0.5 },
    features: Array.from({ length: 8 }, () => (g() < 0.9 ? Math.round(g() * 1e4) / 1e4 : num(g))),
    history: Array.from({ length: 1 + Math.floor(g() * 5) }, () => ({ amount: Math.round(g() * 20000) / 100, category: pick(g, WORDS), days_ago: Math.floor(g() * 90), note: g() < 0.2 ? leaf(g, i) : 'x' })),
    note: leaf(g, i),
    items: [{ name: leaf(g, i), phone: leaf(g, i) }, { name, phone: leaf(g, i) }],
    meta: tree(g, i, 2), ids: g() < 0.5 ? i : `id-${i}`, amount: Math.round(g() * 500),
    rows: [{ ssn: '078-05-1120' }, { ssn: leaf(g, i) }], geo: '48.8584, 2.2945', secret: leaf(g, i),
  };
}

function records(g: Gen, i: number): unknown {
  return {
    records: Array.from({ length: 1 + Math.floor(g() * 12) }, (_, k) => {
      const first = pick(g, FIRST);
      const last = pick(g, LAST);
      return {
        id: i * 100 + k, name: `${first} ${last}`, email: `${first[0]!.toLowerCase()}${last.toLowerCase()}${i}@mail.com`,
        phone: `+1 415 555 ${digits(g, 4)}`, city: pick(g, WORDS), amount: Math.round(g() * 100000) / 100, status: pick(g, WORDS),
      };
    }),
  };
}

/** JSON text with the whitespace and number spellings JSON.stringify never writes. */
function oddJson(g: Gen, i: number): string {
  const card = luhn(`4${digits(g, 14)}`);
  return pick(g, [
    `{ "user" : { "email" : "${leaf(g, i).replace(/["\\]/g, '')}" , "card": ${card}.0 }, "amount": 1.0, "n": 9007199254740993, "e": 1e3 }`,
    `[ {"phone": 14155552671}, {"card": ${card}}, 12345678901234567890, -0, "${leaf(g, i).replace(/["\\]/g, '')}" ]`,
    `{"note":"\\u0041da Lovelace wrote to ada\\u0040example.com","secret":{"a":[1,2,{"b":"x"}]},"k":"v"}`,
    `{"user":{"id":"u-${i}","dob":"1980-02-1${i % 9}"},"meta":{"email":"keep@me.io","n":${card}}}`,
    `{"a": [1, 2,`,
    `{"deep":${'['.repeat(600)}${']'.repeat(600)}}`,
  ]);
}

/** Percent-encoded (surrogates, lone or paired, read as `?`: encodeURIComponent refuses a lone one). */
const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?'));

function request(g: Gen, i: number): RawRequest {
  const kind = i % 8;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'bench/1.0' };
  if (g() < 0.5) headers.authorization = g() < 0.5 ? 'Bearer abcdef0123456789' : `Bearer tok-${i % 7}`;
  if (g() < 0.2) headers.cookie = `sid=${i % 5}; theme=dark`;
  if (g() < 0.2) headers['x-user-email'] = leaf(g, i);
  const q = pick(g, ['', '?model=fraud-v2', `?model=fraud-v2&token=t${i % 9}`, `?email=${enc(leaf(g, i))}&x=1`, '?q=Ada+Lovelace']);
  const path = pick(g, ['/v1/score', '/v1/batch', `/v1/users/${enc(leaf(g, i))}`]);
  let body: string;
  if (kind === 0 || kind === 1) body = JSON.stringify(keyed(g, i));
  else if (kind === 2) body = JSON.stringify(records(g, i));
  else if (kind === 3) body = oddJson(g, i);
  else if (kind === 4) {
    body = Array.from({ length: 3 }, () => JSON.stringify(tree(g, i, 3))).join('\n');
    headers['content-type'] = 'application/x-ndjson';
  } else if (kind === 5) {
    body = `user=${enc(leaf(g, i))}&email=${enc(leaf(g, i))}&note=${enc(leaf(g, i))}&n=1`;
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else body = JSON.stringify(tree(g, i, 4));
  return { method: 'POST', url: path + q, headers, body: Buffer.from(body) };
}

const DOCS = 700;

function outcomeText(p: CompiledPolicy, req: RawRequest): string {
  const out = p.anonymize(req);
  const counts = [...out.replacements].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (!out.ok) return JSON.stringify([out.reason, out.detail, counts]);
  const r = out.request;
  return JSON.stringify([r.url, r.headers, r.body.toString('base64'), counts]);
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

function hashes(name: string, fresh: (i: number) => boolean): string[] {
  const g = seededRandom(20_928_958 + name.length);
  const shared = policyFrom(POLICIES[name]!);
  const out: string[] = [];
  for (let i = 0; i < DOCS; i++) {
    const req = request(g, i);
    const warm = outcomeText(shared, req);
    if (fresh(i)) expect(outcomeText(policyFrom(POLICIES[name]!), req), `${name} #${i}: cold and warm caches disagree`).toBe(warm);
    out.push(digest(warm));
  }
  return out;
}

describe('anonymized output is byte for byte that of 928958f', () => {
  const write = process.env.SHADOWGATE_WRITE_GOLDEN === '1';
  const golden = write ? {} : JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, string[]>;
  const found: Record<string, string[]> = {};
  for (const name of Object.keys(POLICIES)) {
    test(`policy ${name}: ${DOCS} documents`, () => {
      const got = hashes(name, (i) => i % 10 === 3);
      found[name] = got;
      if (write) return;
      const want = golden[name]!;
      const moved = got.flatMap((h, i) => (h === want[i] ? [] : [i]));
      expect(moved, `documents whose output moved under policy ${name}`).toEqual([]);
    }, 120_000);
  }
  if (write) test('writes the golden file', () => { writeFileSync(GOLDEN, `${JSON.stringify(found)}\n`); });
});
