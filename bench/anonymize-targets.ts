// The anonymizer's speed targets (issue 20's "Speed", issue 23's cheap copy), in CPU time of this process
// with cold memo tables (a fresh policy per pass or per body; policy compilation not counted): keyed 1 KB
// JSON under the demo policy ≥ 20 MB per CPU-second, 20 KB chat transcripts (text/plain, unknown: scan) ≥ 10,
// 250 KB JSON of 2,000 records (field rules on the personal members, scan on the rest) ≥ 15; each body codec
// (anonymize-codecs) beside them. A row is the median of its passes; each says met or missed.
// Usage: node dist/bench/anonymize-targets.js [--passes N] [--codecs-requests N]
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../src/compare/stats.js';
import { createAnonymizer, warmDetectors, type CompiledPolicy } from '../src/anonymize/index.js';
import { anonymizeSchema } from '../src/config/schema/anonymize.js';
import type { RawRequest } from '../src/exchange.js';
import { DEMO_POLICY, makeRequest } from './anonymize-throughput.js';
import { makeTranscript } from './anonymize-transcript.js';
import { runCodecs } from './anonymize-codecs.js';

const KEY = 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz';

const RECORDS_POLICY = {
  fields: { '$.records[*].name': 'name', '$.records[*].email': 'email', '$.records[*].phone': 'phone' },
  unknown: 'scan',
};

function policyOf(p: unknown): CompiledPolicy {
  const cfg = anonymizeSchema.parse({ key: KEY, policies: { p } });
  return createAnonymizer(cfg, ['p']).policy('p')!;
}

const FIRST = ['Ada', 'Grace', 'Linus', 'Sara', 'Jonas', 'Mette', 'Priya', 'Kenji', 'Lucia', 'Omar'];
const LAST = ['Lovelace', 'Hopper', 'Schwarz', 'Nielsen', 'Sharma', 'Tanaka', 'Rossi', 'Haddad', 'Kowalski', 'Dubois'];
const CITIES = ['Springfield', 'Lyon', 'Osaka', 'Leeds', 'Porto'];
const STATUS = ['approved', 'pending', 'declined'];

/** ~250 KB: 2,000 customer records of ~125 B (an id, a name, an email, a phone, a city, an amount, a status). */
export function makeRecords(g: () => number, seed: number): RawRequest {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(g() * a.length)]!;
  const records = Array.from({ length: 2000 }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    return {
      id: seed * 2000 + i, name: `${first} ${last}`, email: `${first[0]!.toLowerCase()}${last.toLowerCase()}${seed * 2000 + i}@mail.com`,
      phone: `+1 415 555 ${String(Math.floor(g() * 10000)).padStart(4, '0')}`, city: pick(CITIES),
      amount: Math.round(g() * 100000) / 100, status: pick(STATUS),
    };
  });
  return { method: 'POST', url: '/v1/batch', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ records })) };
}

/** CPU seconds of `fn`. */
function cpu(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export interface TargetRow { row: string; bodies: number; meanBytes: number; target: number; mbPerCpuSecond: number; met: boolean; dropped: number }

/**
 * One row: `passes` timed passes (after one untimed pass for the JIT), each on fresh policies — one per pass
 * (`fresh: 'pass'`: the 1 KB requests of many users) or one per body (`'body'`: the large bodies).
 */
function row(name: string, target: number, policy: unknown, bodies: RawRequest[], passes: number, fresh: 'pass' | 'body'): TargetRow {
  const bytes = bodies.reduce((n, r) => n + r.body.length, 0);
  const times: number[] = [];
  let dropped = 0;
  for (let p = -1; p < passes; p++) {
    let seconds = 0;
    dropped = 0;
    if (fresh === 'pass') {
      const pol = policyOf(policy);
      seconds = cpu(() => { for (const r of bodies) if (!pol.anonymize(r).ok) dropped++; });
    } else {
      for (const r of bodies) {
        const pol = policyOf(policy);
        seconds += cpu(() => { if (!pol.anonymize(r).ok) dropped++; });
      }
    }
    if (p >= 0) times.push(seconds);
  }
  const mb = bytes / 1e6 / median(times);
  return { row: name, bodies: bodies.length, meanBytes: Math.round(bytes / bodies.length), target, mbPerCpuSecond: mb, met: mb >= target && dropped === 0, dropped };
}

export function runTargets(passes: number, quick: boolean) {
  warmDetectors();
  const g = seededRandom(42);
  const keyed = Array.from({ length: quick ? 200 : 2000 }, (_, i) => makeRequest(g, i, 3));
  const t = seededRandom(20);
  const transcripts = Array.from({ length: quick ? 3 : 20 }, (_, i): RawRequest => ({
    method: 'POST', url: '/v1/chat', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(makeTranscript(t, i)),
  }));
  const r = seededRandom(250);
  const records = Array.from({ length: quick ? 1 : 4 }, (_, i) => makeRecords(r, i));
  return [
    row('keyed JSON, ~1 KB (demo policy)', 20, DEMO_POLICY, keyed, passes, 'pass'),
    row('chat transcript, ~20 KB (text/plain, scan)', 10, { unknown: 'scan' }, transcripts, passes, 'body'),
    row('JSON, ~250 KB, 2,000 records (rules + scan)', 15, RECORDS_POLICY, records, passes, 'body'),
  ];
}

function main(): void {
  const quick = process.env.SHADOWGATE_BENCH_QUICK === '1';
  const at = (name: string, fallback: number) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
  const passes = at('--passes', quick ? 1 : 5);
  const load0 = loadavg()[0]!;
  const targets = runTargets(passes, quick);
  const codecs = runCodecs(at('--codecs-requests', quick ? 50 : 300), quick ? 1 : 3);
  const out = process.stdout;
  out.write(`anonymizer targets: CPU time, cold memo, median of ${passes} passes (load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)\n\n`);
  out.write('| body | bodies × mean size | MB per CPU-second | target | |\n|---|---:|---:|---:|---|\n');
  for (const x of targets) out.write(`| ${x.row} | ${x.bodies} × ${x.meanBytes} B | ${x.mbPerCpuSecond.toFixed(1)} | ≥ ${x.target} | ${x.met ? 'met' : '**missed**'}${x.dropped > 0 ? ` (${x.dropped} dropped)` : ''} |\n`);
  for (const c of codecs) out.write(`| codec: ${c.format} (unknown: scan) | ${c.requests} × ${c.meanBytes} B | ${c.mbPerCpuSecond.toFixed(1)} | – | ${c.dropped > 0 ? `${c.dropped} dropped` : ''} |\n`);
  out.write(`${JSON.stringify({ bench: 'anonymize-targets', node: process.version, targets, codecs: codecs.map((c) => ({ format: c.format, meanBytes: c.meanBytes, mbPerCpuSecond: c.mbPerCpuSecond, dropped: c.dropped })) })}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
