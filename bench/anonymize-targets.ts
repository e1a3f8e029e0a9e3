// The anonymizer's speed targets (issue 20's "Speed", issue 23's cheap copy), in CPU time of this process
// with cold memo tables (a fresh policy per pass or per body; policy compilation not counted): keyed 1 KB
// JSON under the demo policy ≥ 20 MB per CPU-second, 20 KB chat transcripts (text/plain, unknown: scan) ≥ 10,
// 250 KB JSON of 2,000 records (ours: ~280 KB) (field rules on the personal members, scan on the rest) ≥ 15; each body codec
// (anonymize-codecs) beside them. A row is the median of its passes; each says met or missed.
// `--baseline DIR` times another build's dist (e.g. main's anonymizer compiled to /tmp) interleaved with this one.
// Usage: node dist/bench/anonymize-targets.js [--passes N] [--codecs-requests N] [--baseline DIST_DIR]
import { availableParallelism, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { seededRandom } from '../src/compare/stats.js';
import { createAnonymizer, type CompiledPolicy } from '../src/anonymize/index.js';
import { wordTable } from '../src/anonymize/data/lexicon.js';
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

/** An anonymizer build: this one, or another build's dist (`--baseline DIR`, e.g. main's compiled to /tmp). */
export interface Build { createAnonymizer: typeof createAnonymizer; anonymizeSchema: typeof anonymizeSchema }
const THIS_BUILD: Build = { createAnonymizer, anonymizeSchema };

function policyOf(p: unknown, b: Build = THIS_BUILD): CompiledPolicy {
  const cfg = b.anonymizeSchema.parse({ key: KEY, policies: { p } });
  return b.createAnonymizer(cfg, ['p']).policy('p')!;
}

const FIRST = ['Ada', 'Grace', 'Linus', 'Sara', 'Jonas', 'Mette', 'Priya', 'Kenji', 'Lucia', 'Omar'];
const LAST = ['Lovelace', 'Hopper', 'Schwarz', 'Nielsen', 'Sharma', 'Tanaka', 'Rossi', 'Haddad', 'Kowalski', 'Dubois'];
const CITIES = ['Springfield', 'Lyon', 'Osaka', 'Leeds', 'Porto'];
const STATUS = ['approved', 'pending', 'declined'];

/** ~280 KB: 2,000 customer records of ~125 B (an id, a name, an email, a phone, a city, an amount, a status). */
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

export interface TargetRow { row: string; bodies: number; meanBytes: number; target: number; mbPerCpuSecond: number; met: boolean; dropped: number; baselineMbPerCpuSecond?: number }

/**
 * One row: `passes` timed passes after `warmups` untimed ones (the JIT needs about 6,000 small requests to
 * settle), each on fresh policies — one per pass (`fresh: 'pass'`: the 1 KB requests of many users) or one
 * per body (`'body'`: the large bodies) — so every timed pass meets empty memo tables.
 */
function row(name: string, target: number, policy: unknown, bodies: RawRequest[], passes: number, fresh: 'pass' | 'body', warmups: number, baseline?: Build): TargetRow {
  const bytes = bodies.reduce((n, r) => n + r.body.length, 0);
  // With a baseline, its passes interleave with this build's: both meet the same neighbours' load.
  const builds = baseline === undefined ? [THIS_BUILD] : [THIS_BUILD, baseline];
  const times = builds.map(() => [] as number[]);
  let dropped = 0;
  for (let p = -warmups; p < passes; p++) {
    builds.forEach((b, k) => {
      let seconds = 0;
      let d = 0;
      if (fresh === 'pass') {
        const pol = policyOf(policy, b);
        seconds = cpu(() => { for (const r of bodies) if (!pol.anonymize(r).ok) d++; });
      } else {
        for (const r of bodies) {
          const pol = policyOf(policy, b);
          seconds += cpu(() => { if (!pol.anonymize(r).ok) d++; });
        }
      }
      if (k === 0) dropped = d;
      if (p >= 0) times[k]!.push(seconds);
    });
  }
  const mb = bytes / 1e6 / median(times[0]!);
  const out: TargetRow = { row: name, bodies: bodies.length, meanBytes: Math.round(bytes / bodies.length), target, mbPerCpuSecond: mb, met: mb >= target && dropped === 0, dropped };
  return baseline === undefined ? out : { ...out, baselineMbPerCpuSecond: bytes / 1e6 / median(times[1]!) };
}

export function runTargets(passes: number, quick: boolean, baseline?: Build) {
  wordTable(); // the word table built before timing (a thread builds it on its first free-text copy)
  const g = seededRandom(42);
  const keyed = Array.from({ length: quick ? 200 : 2000 }, (_, i) => makeRequest(g, i, 3));
  const t = seededRandom(20);
  const transcripts = Array.from({ length: quick ? 3 : 20 }, (_, i): RawRequest => ({
    method: 'POST', url: '/v1/chat', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(makeTranscript(t, i)),
  }));
  const r = seededRandom(250);
  const records = Array.from({ length: quick ? 1 : 4 }, (_, i) => makeRecords(r, i));
  return [
    row('keyed JSON, ~1 KB (demo policy)', 20, DEMO_POLICY, keyed, passes, 'pass', quick ? 1 : 3, baseline),
    row('chat transcript, ~20 KB (text/plain, scan)', 10, { unknown: 'scan' }, transcripts, passes, 'body', quick ? 1 : 2, baseline),
    row('JSON, ~280 KB, 2,000 records (rules + scan)', 15, RECORDS_POLICY, records, passes, 'body', quick ? 1 : 2, baseline),
  ];
}

async function main(): Promise<void> {
  const quick = process.env.SHADOWGATE_BENCH_QUICK === '1';
  const at = (name: string, fallback: number) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
  const passes = at('--passes', quick ? 1 : 5);
  const baseAt = process.argv.indexOf('--baseline');
  let baseline: Build | undefined;
  if (baseAt > 0 && process.argv[baseAt + 1] !== undefined) {
    const dir = resolve(process.argv[baseAt + 1]!);
    const idx = await import(pathToFileURL(resolve(dir, 'src/anonymize/index.js')).href) as Pick<Build, 'createAnonymizer'>;
    const sch = await import(pathToFileURL(resolve(dir, 'src/config/schema/anonymize.js')).href) as Pick<Build, 'anonymizeSchema'>;
    baseline = { createAnonymizer: idx.createAnonymizer, anonymizeSchema: sch.anonymizeSchema };
  }
  const load0 = loadavg()[0]!;
  const targets = runTargets(passes, quick, baseline);
  const codecs = runCodecs(at('--codecs-requests', quick ? 50 : 300), quick ? 1 : 3);
  const out = process.stdout;
  out.write(`anonymizer targets: CPU time, cold memo, median of ${passes} passes (load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)\n\n`);
  const b = baseline !== undefined;
  out.write(`| body | bodies × mean size | MB per CPU-second |${b ? ' baseline |' : ''} target | |\n|---|---:|---:|${b ? '---:|' : ''}---:|---|\n`);
  for (const x of targets) out.write(`| ${x.row} | ${x.bodies} × ${x.meanBytes} B | ${x.mbPerCpuSecond.toFixed(1)} |${b ? ` ${x.baselineMbPerCpuSecond!.toFixed(1)} |` : ''} ≥ ${x.target} | ${x.met ? 'met' : '**missed**'}${x.dropped > 0 ? ` (${x.dropped} dropped)` : ''} |\n`);
  for (const c of codecs) out.write(`| codec: ${c.format} (unknown: scan) | ${c.requests} × ${c.meanBytes} B | ${c.mbPerCpuSecond.toFixed(1)} |${b ? ' |' : ''} – | ${c.dropped > 0 ? `${c.dropped} dropped` : ''} |\n`);
  out.write(`${JSON.stringify({ bench: 'anonymize-targets', node: process.version, targets, codecs: codecs.map((c) => ({ format: c.format, meanBytes: c.meanBytes, mbPerCpuSecond: c.mbPerCpuSecond, dropped: c.dropped })) })}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
