// Anonymizer throughput on one core: MB/s and µs per request for 1–4 KB JSON bodies under the demo policy
// (user email/name/phone/card/iban/address/ip/dob, a free-text note, numeric model features).
// Usage: node dist/bench/anonymize-throughput.js [--requests N] [--passes N] [--json OUT]
import { seededRandom } from '../src/compare/stats.js';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { createAnonymizer } from '../src/anonymize/index.js';
import { anonymizeSchema } from '../src/config/schema/anonymize.js';
import type { RawRequest } from '../src/exchange.js';
import { gunzipSync, gzipSync } from 'node:zlib';

export const DEMO_POLICY = {
  headers: { keep: ['content-type', 'accept', 'user-agent'] },
  fields: {
    '$.user.id': { type: 'pseudonym', prefix: 'u_' }, '$.user.email': 'email', '$.user.name': 'name', '$.user.phone': 'phone',
    '$.user.dob': 'year', '$.user.ip': 'ip', '$.user.address.street': 'redact', '$.user.address.postcode': 'redact',
    '$.payment.card': 'card', '$.payment.iban': 'iban', '$.note': 'text',
  },
  unknown: 'scan',
};

/** Seeded (mulberry32, shared with the comparison engine), so every run measures the same requests. */
export const rng = seededRandom;

const FIRST = ['Ada', 'Grace', 'Linus', 'Sara', 'Jonas', 'Mette', 'Priya', 'Kenji', 'Lucia', 'Omar'];
const LAST = ['Lovelace', 'Hopper', 'Schwarz', 'Nielsen', 'Sharma', 'Tanaka', 'Rossi', 'Haddad', 'Kowalski', 'Dubois'];
const NOTES = ['', '', 'birthday present', 'refund expected', 'Please send the receipt to {email}, thanks', 'Customer called from {phone} to confirm', 'Gift for {name}, wrapped please'];

function luhnComplete(body: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = body + String(d);
    let sum = 0;
    for (let i = 0; i < s.length; i++) { let x = Number(s[s.length - 1 - i]); if (i % 2 === 1) { x *= 2; if (x > 9) x -= 9; } sum += x; }
    if (sum % 10 === 0) return s;
  }
  return body + '0';
}

/** `extraRows`: up to this many history rows beyond 4 (30: bodies of 1–4 KB; 3: about 1 KB). */
export function makeRequest(g: () => number, i: number, extraRows = 30): RawRequest {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(g() * a.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(g() * 10)).join('');
  const name = `${pick(FIRST)} ${pick(LAST)}`;
  const email = `${name.toLowerCase().replace(' ', '.')}${i}@${pick(['gmail.com', 'example-corp.com', 'mail.de'])}`;
  const phone = pick([`+1-${2 + Math.floor(g() * 8)}${digits(2)}-${digits(3)}-${digits(4)}`, `+44 7700 ${digits(6)}`, `+49 30 ${digits(7)}`]);
  const note = pick(NOTES).replace('{email}', email).replace('{phone}', phone).replace('{name}', name);
  // History rows and feature vectors pad bodies to 1–4 KB, as real scoring requests carry them.
  const rows = 4 + Math.floor(g() * extraRows);
  const body = {
    user: {
      id: `user-${i}`, email, name, phone, dob: `19${50 + Math.floor(g() * 50)}-0${1 + Math.floor(g() * 9)}-1${Math.floor(g() * 9)}`,
      ip: `${11 + Math.floor(g() * 200)}.${Math.floor(g() * 255)}.${Math.floor(g() * 255)}.${Math.floor(g() * 255)}`,
      address: { street: `${digits(3)} Market Street`, postcode: digits(5), city: 'Springfield', country: 'US' },
      segment: pick(['retail', 'premium', 'business']),
    },
    payment: { card: luhnComplete(`4${digits(14)}`) },
    transaction: { amount: Math.round(g() * 50000) / 100, currency: 'USD', merchant: 'FreshMart', merchant_category: 'grocery', hour: Math.floor(g() * 24), device: 'mobile', card_present: g() < 0.5 },
    features: Array.from({ length: 16 }, () => Math.round(g() * 1e4) / 1e4),
    history: Array.from({ length: rows }, () => ({ amount: Math.round(g() * 20000) / 100, category: pick(['grocery', 'travel', 'fuel']), days_ago: Math.floor(g() * 90), approved: g() < 0.95 })),
    note,
  };
  return {
    method: 'POST', url: '/v1/score?model=fraud-v2',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'bench/1.0', authorization: 'Bearer abcdef0123456789' },
    body: Buffer.from(JSON.stringify(body)),
  };
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

export function runThroughput(requestsN: number, passes: number) {
  const cfg = anonymizeSchema.parse({ key: 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz', policies: { demo: DEMO_POLICY } });
  const policy = createAnonymizer(cfg, ['demo']).policy('demo')!;
  const g = rng(42);
  const requests = Array.from({ length: requestsN }, (_, i) => makeRequest(g, i));
  const sizes = requests.map((r) => r.body.length).sort((a, b) => a - b);
  // Warm the JIT on other users (another seed), so the first measured pass meets cold memo caches.
  const warm = rng(7);
  for (let i = 0; i < 2000; i++) policy.anonymize(makeRequest(warm, requestsN + i));
  const perRequestUs: number[] = [];
  let bytes = 0;
  // CPU time as well as wall time: on a shared machine the wall clock measures the neighbours too.
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) {
    for (const r of requests) {
      const s = process.hrtime.bigint();
      policy.anonymize(r);
      perRequestUs.push(Number(process.hrtime.bigint() - s) / 1000);
      bytes += r.body.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  let failures = 0;
  for (const r of requests) if (!policy.anonymize(r).ok) failures++;
  perRequestUs.sort((a, b) => a - b);
  const q = (x: number) => perRequestUs[Math.min(perRequestUs.length - 1, Math.floor(x * perRequestUs.length))]!;
  return {
    bench: 'anonymize-throughput', node: process.version, requests: requestsN * passes, distinctRequests: requestsN,
    bodyBytes: { min: sizes[0], median: sizes[sizes.length >> 1], max: sizes[sizes.length - 1] },
    failedCopies: failures, mbPerSecond: bytes / 1e6 / seconds, requestsPerSecond: (requestsN * passes) / seconds,
    cpuSeconds, wallSeconds: seconds, mbPerCpuSecond: bytes / 1e6 / cpuSeconds, usCpuPerRequest: (cpuSeconds * 1e6) / (requestsN * passes),
    usPerRequest: { mean: (seconds * 1e6) / (requestsN * passes), p50: q(0.5), p99: q(0.99) },
  };
}

/**
 * Adversarial shapes, each one body near shadow.maxBodyBytes (256 KB): the issue-11 body (~5,000 short
 * strings with several entities each), one long free text, bare card/phone numbers, base64 and
 * percent-encoded layers, a UTF-16 body, a gzip body. Per shape: CPU ms (min of 5 runs on a fresh policy,
 * cold memo tables), MB per CPU-second, and the ratio of the same shape at ten times the size (linearity).
 */
const SHAPES: Record<string, (n: number) => { body: Buffer; headers: Record<string, string> }> = {
  'short strings, several entities each': (n) => jsonBody(Array.from({ length: n }, (_, i) =>
    `mail u${i}@ex${i % 97}.com, call +1 415 555 ${String(1000 + (i % 9000))}, ip 10.${i % 250}.3.${i % 200}`)),
  'one long free text': (n) => jsonBody({ note: Array.from({ length: n }, (_, i) => `Customer u${i}@shop${i % 13}.de paid with 4111 1111 1111 1111 from 81.2.69.${i % 250} today.`).join(' ') }),
  'bare card and phone numbers': (n) => ({ body: Buffer.from(`[${Array.from({ length: n }, (_, i) => `{"a":${luhnComplete(String(453914880343000 + i))},"b":${14155550000 + i},"c":${i}.0}`).join(',')}]`), headers: JSON_HEADERS }),
  'base64 layers': (n) => jsonBody(Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({ email: `u${i}@example.org`, n: i })).toString('base64'))),
  'percent-encoded layers': (n) => jsonBody(Array.from({ length: n }, (_, i) => `https://x.example/cb?email=u${i}%2540example.org&phone=%2B1%20415%20555%20${1000 + (i % 9000)}`)),
  'UTF-16 body': (n) => ({ body: Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => `mail u${i}@ex.com call +1 415 555 ${1000 + (i % 9000)}`)), 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16le' } }),
  // Sized by its decoded bytes (about ten times the compressed ones).
  'gzip body': (n) => ({ body: gzipSync(Buffer.from(JSON.stringify(Array.from({ length: n }, (_, i) => `mail u${i}@ex.com call +1 415 555 ${1000 + (i % 9000)}`)))), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
};
const JSON_HEADERS = { 'content-type': 'application/json' };
function jsonBody(v: unknown): { body: Buffer; headers: Record<string, string> } {
  return { body: Buffer.from(JSON.stringify(v)), headers: JSON_HEADERS };
}

/** The count that makes `make(n)` about `target` bytes decoded (grown from a probe). */
function sizeFor(make: (n: number) => { body: Buffer; headers: Record<string, string> }, target: number): number {
  const p = make(100);
  const probe = p.headers['content-encoding'] === 'gzip' ? gunzipSync(p.body).length : p.body.length;
  return Math.max(1, Math.round((100 * target) / probe));
}

function cpuMs(req: RawRequest): number {
  const cfg = anonymizeSchema.parse({ key: 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz', maxScanBytes: '16mb', policies: { p: { unknown: 'scan' } } });
  const policy = createAnonymizer(cfg, ['p']).policy('p')!;
  const c0 = process.cpuUsage();
  const out = policy.anonymize(req, { maxDecodedBytes: 64 * 1024 * 1024 });
  const c = process.cpuUsage(c0);
  if (!out.ok) throw new Error(`shape dropped: ${out.reason}: ${out.detail}`);
  return (c.user + c.system) / 1000;
}

export function runShapes(targetBytes: number, runs: number, warmups: number) {
  return Object.entries(SHAPES).map(([shape, make]) => {
    const n = sizeFor(make, targetBytes);
    const small = make(n);
    const large = make(10 * n);
    const req = (x: { body: Buffer; headers: Record<string, string> }): RawRequest => ({ method: 'POST', url: '/v1/score', headers: x.headers, body: x.body });
    for (let k = 0; k < warmups; k++) { cpuMs(req(small)); cpuMs(req(large)); }
    let s = Infinity;
    let l = Infinity;
    for (let k = 0; k < runs; k++) { s = Math.min(s, cpuMs(req(small))); l = Math.min(l, cpuMs(req(large))); }
    const bytes = small.headers['content-encoding'] === 'gzip' ? gunzipSync(small.body).length : small.body.length;
    return { shape, bytes, cpuMs: s, mbPerCpuSecond: bytes / 1e3 / s, tenTimesRatio: l / s };
  });
}

function main(): void {
  const quick = process.env.SHADOWGATE_BENCH_QUICK === '1';
  // The CI smoke run (--quick) only checks the shapes still run: small bodies, one run each.
  const target = quick ? 16 * 1024 : 251 * 1024;
  const shapes = runShapes(target, quick ? 1 : 5, quick ? 0 : 2);
  process.stdout.write(`anonymize, adversarial shapes (~${Math.round(target / 1024)} KB each; CPU ms, min of runs; load average ${loadavg()[0]!.toFixed(1)}):\n`);
  for (const r of shapes) {
    process.stdout.write(`  ${r.shape.padEnd(38)} ${String(r.bytes).padStart(7)} B  ${r.cpuMs.toFixed(1).padStart(7)} ms  ${r.mbPerCpuSecond.toFixed(1).padStart(6)} MB/s  10x size: ${r.tenTimesRatio.toFixed(1)}x time\n`);
  }
  const result = { ...runThroughput(arg('--requests', quick ? 500 : 2000), arg('--passes', quick ? 2 : 10)), shapes };
  process.stdout.write(`anonymize: ${result.requests} requests (${result.distinctRequests} distinct, bodies ${result.bodyBytes.min}-${result.bodyBytes.max} B, median ${result.bodyBytes.median} B), ${result.failedCopies} dropped\n`);
  process.stdout.write(`  wall: ${result.mbPerSecond.toFixed(1)} MB/s, ${result.requestsPerSecond.toFixed(0)} req/s, µs/request mean ${result.usPerRequest.mean.toFixed(1)} p50 ${result.usPerRequest.p50.toFixed(1)} p99 ${result.usPerRequest.p99.toFixed(1)}\n`);
  process.stdout.write(`  cpu:  ${result.mbPerCpuSecond.toFixed(1)} MB per CPU-second, ${result.usCpuPerRequest.toFixed(1)} CPU-µs/request (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)\n`);
  const jsonAt = process.argv.indexOf('--json');
  if (jsonAt > 0 && process.argv[jsonAt + 1] !== undefined) writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(result, null, 2));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
