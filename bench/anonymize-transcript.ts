// Anonymizer speed on free text: 20 KB chat transcripts (text/plain, `unknown: scan`), each through a fresh
// policy (cold memo tables), in CPU time of this process: MB per CPU-second, median of the passes.
// The transcripts mix capitalised and lower-case turns, names in Latin and other scripts, emails, phones and
// cards, as a support chat's log does. `--baseline DIR` loads another build's dist (e.g. main's, compiled to
// /tmp) and times it interleaved with this one.
// Usage: node dist/bench/anonymize-transcript.js [--transcripts N] [--passes N] [--baseline DIST_DIR]
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { seededRandom } from '../src/compare/stats.js';
import { createAnonymizer } from '../src/anonymize/index.js';
import { anonymizeSchema } from '../src/config/schema/anonymize.js';
import type { RawRequest } from '../src/exchange.js';

const FIRST = ['Ada', 'Grace', 'Linus', 'Sara', 'Jonas', 'Mette', 'Priya', 'Kenji', 'Lucia', 'Omar', 'mary', 'john'];
const LAST = ['Lovelace', 'Hopper', 'Schwarz', 'Nielsen', 'Sharma', 'Tanaka', 'Rossi', 'Haddad', 'Kowalski', 'Dubois', 'jones', 'smith'];
const OTHER = ['王小明', 'محمد علي', '山田 太郎', '김민준'];
const TURNS = [
  'Agent: Thank you for contacting support, this is {name}. How can I help you today?',
  'User: hi, this is {name}, my card {card} was declined twice at the store this morning',
  'Agent: I am sorry to hear that. Could you confirm the email on the account?',
  'User: sure, it is {email} and my phone is {phone}',
  'Agent: Thanks. I can see the order from Tuesday. The payment was blocked by our fraud check.',
  'User: My name is {other} and I ordered the blue jacket, size M, for my friend {name}.',
  'Agent: I have unblocked the card. Please try again in five minutes and let me know if it works.',
  "User: i'm not sure it will, the last time it took a day. can you send a confirmation to {email}?",
  'Agent: Of course. Is there anything else I can help you with today?',
  'User: no that is all, thanks a lot for the quick help',
];

export function makeTranscript(g: () => number, i: number, bytes = 20 * 1024): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(g() * a.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(g() * 10)).join('');
  const lines: string[] = [];
  let size = 0;
  for (let k = 0; size < bytes; k++) {
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const line = TURNS[k % TURNS.length]!
      .replace('{name}', name).replace('{other}', pick(OTHER))
      .replace('{email}', `${name.toLowerCase().replace(' ', '.')}${i}@example.com`)
      .replace('{phone}', `+1 415 555 ${digits(4)}`).replace('{card}', `4111 1111 1111 ${digits(4)}`);
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  return lines.join('\n');
}

type Factory = { createAnonymizer: typeof createAnonymizer; anonymizeSchema: typeof anonymizeSchema };

function cpuMs(f: Factory, req: RawRequest): number {
  const cfg = f.anonymizeSchema.parse({ key: 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz', policies: { p: { unknown: 'scan' } } });
  const policy = f.createAnonymizer(cfg, ['p']).policy('p')!;
  const c0 = process.cpuUsage();
  const out = policy.anonymize(req);
  const c = process.cpuUsage(c0);
  if (!out.ok) throw new Error(`transcript dropped: ${out.reason}: ${out.detail}`);
  return (c.user + c.system) / 1000;
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const n = Number(arg('--transcripts') ?? 20);
  const passes = Number(arg('--passes') ?? 7);
  const g = seededRandom(20);
  const reqs: RawRequest[] = Array.from({ length: n }, (_, i) => ({
    method: 'POST', url: '/v1/chat', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(makeTranscript(g, i)),
  }));
  const bytes = reqs.reduce((s, r) => s + r.body.length, 0);
  const builds: { name: string; f: Factory }[] = [];
  const base = arg('--baseline');
  if (base !== undefined) {
    const idx = await import(pathToFileURL(resolve(base, 'src/anonymize/index.js')).href) as Pick<Factory, 'createAnonymizer'>;
    const sch = await import(pathToFileURL(resolve(base, 'src/config/schema/anonymize.js')).href) as Pick<Factory, 'anonymizeSchema'>;
    builds.push({ name: 'baseline', f: { createAnonymizer: idx.createAnonymizer, anonymizeSchema: sch.anonymizeSchema } });
  }
  builds.push({ name: 'this build', f: { createAnonymizer, anonymizeSchema } });
  const times = builds.map(() => [] as number[]);
  for (let p = -1; p < passes; p++) {
    builds.forEach((b, k) => {
      let ms = 0;
      for (const r of reqs) ms += cpuMs(b.f, r);
      if (p >= 0) times[k]!.push(ms);
    });
  }
  process.stdout.write(`anonymize, ${n} chat transcripts of ~20 KB (${bytes} B), text/plain, unknown: scan, cold memo; median of ${passes} passes\n`);
  builds.forEach((b, k) => {
    const sorted = [...times[k]!].sort((x, y) => x - y);
    const ms = sorted[Math.floor(sorted.length / 2)]!;
    process.stdout.write(`  ${b.name.padEnd(10)} ${ms.toFixed(1).padStart(8)} ms CPU  ${(bytes / 1e3 / ms).toFixed(1).padStart(6)} MB per CPU-second\n`);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
