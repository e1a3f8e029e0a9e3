// Anonymizer throughput per body codec (issue 20): the same demo scoring records (anonymize-throughput's
// makeRequest, 1–4 KB as JSON) written in each format the codecs read, anonymized under `unknown: scan`
// (the key-name classifier and the scanners; no field rules, so every format is read the same way).
// CPU time of this process, cold memo (a fresh policy per pass), the best of the passes; keyed JSON is
// reported beside the others as the yardstick.
// Usage: node dist/bench/anonymize-codecs.js [--requests N] [--passes N]
import { availableParallelism, loadavg } from 'node:os';
import { stringify as stringifyYaml } from 'yaml';
import { createAnonymizer } from '../src/anonymize/index.js';
import { anonymizeSchema } from '../src/config/schema/anonymize.js';
import type { RawRequest } from '../src/exchange.js';
import { makeRequest, rng } from './anonymize-throughput.js';

type Doc = Record<string, unknown>;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Leaf values with their dotted keys (history rows and features flattened). */
function leaves(v: unknown, key: string, out: [string, string][]): [string, string][] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${key}_${i}`, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, key === '' ? k : `${key}_${k}`, out);
  else out.push([key, String(v)]);
  return out;
}

function xml(v: unknown, name: string): string {
  if (Array.isArray(v)) return v.map((x) => xml(x, name)).join('');
  if (v !== null && typeof v === 'object') return `<${name}>${Object.entries(v).map(([k, x]) => xml(x, k)).join('')}</${name}>`;
  return `<${name}>${esc(String(v))}</${name}>`;
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const FORMATS: Record<string, { type: string; render: (d: Doc) => string }> = {
  'JSON (keyed, the yardstick)': { type: 'application/json', render: (d) => JSON.stringify(d) },
  'NDJSON (a line per history row)': { type: 'application/x-ndjson', render: (d) => {
    const { history, ...rest } = d;
    return [JSON.stringify(rest), ...(history as unknown[]).map((h) => JSON.stringify(h))].join('\n') + '\n';
  } },
  'form-urlencoded': { type: 'application/x-www-form-urlencoded', render: (d) => new URLSearchParams(leaves(d, '', [])).toString() },
  'multipart/form-data': { type: 'multipart/form-data; boundary=bench-boundary', render: (d) => `${Object.entries(d).map(([k, v]) => (typeof v === 'object' && v !== null
    ? `--bench-boundary\r\nContent-Disposition: form-data; name="${k}"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(v)}\r\n`
    : `--bench-boundary\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${String(v)}\r\n`)).join('')}--bench-boundary--\r\n` },
  'XML (SOAP envelope)': { type: 'application/soap+xml', render: (d) => `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${xml(d, 'score')}</s:Body></s:Envelope>` },
  'HTML (a page with the record)': { type: 'text/html', render: (d) => `<!doctype html><html><body><p>${esc(String(d.note))}</p><dl>${leaves(d, '', []).map(([k, v]) => `<dt>${k}</dt><dd data-k="${k}">${esc(v)}</dd>`).join('')}</dl></body></html>` },
  'CSV (header + one row)': { type: 'text/csv', render: (d) => { const l = leaves(d, '', []); return `${l.map(([k]) => k).join(',')}\n${l.map(([, v]) => csvCell(v)).join(',')}\n`; } },
  'YAML': { type: 'application/yaml', render: (d) => stringifyYaml(d) },
  'plain text (key: value lines)': { type: 'text/plain', render: (d) => leaves(d, '', []).map(([k, v]) => `${k}: ${v}`).join('\n') },
};

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

function freshPolicy() {
  const cfg = anonymizeSchema.parse({ key: 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz', policies: { p: { unknown: 'scan' } } });
  return createAnonymizer(cfg, ['p']).policy('p')!;
}

export function runCodecs(requestsN: number, passes: number) {
  const docs = (seed: number, n: number) => {
    const g = rng(seed);
    return Array.from({ length: n }, (_, i) => JSON.parse(makeRequest(g, i).body.toString('utf8')) as Doc);
  };
  const measured = docs(42, requestsN);
  const warm = docs(7, Math.min(requestsN, 500));
  return Object.entries(FORMATS).map(([format, { type, render }]) => {
    const req = (d: Doc): RawRequest => ({ method: 'POST', url: '/v1/score', headers: { 'content-type': type }, body: Buffer.from(render(d)) });
    const bodies = measured.map(req);
    const bytes = bodies.reduce((n, r) => n + r.body.length, 0);
    // JIT warm-up on other users, then each pass on a fresh policy (cold memo tables).
    const w = freshPolicy();
    for (const d of warm) w.anonymize(req(d));
    let best = Infinity;
    let dropped = 0;
    for (let p = 0; p < passes; p++) {
      const policy = freshPolicy();
      dropped = 0;
      const c0 = process.cpuUsage();
      for (const r of bodies) if (!policy.anonymize(r).ok) dropped++;
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1e6);
    }
    return { format, contentType: type, requests: bodies.length, meanBytes: Math.round(bytes / bodies.length), dropped, cpuSeconds: best, mbPerCpuSecond: bytes / 1e6 / best };
  });
}

function main(): void {
  const quick = process.env.SHADOWGATE_BENCH_QUICK === '1';
  const rows = runCodecs(arg('--requests', quick ? 100 : 1000), arg('--passes', quick ? 1 : 3));
  process.stdout.write(`anonymize per codec: the same demo records in each format, unknown: scan, cold memo, CPU time (best of passes; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)\n`);
  for (const r of rows) {
    process.stdout.write(`  ${r.format.padEnd(34)} ${String(r.meanBytes).padStart(6)} B/request  ${r.mbPerCpuSecond.toFixed(1).padStart(6)} MB per CPU-second${r.dropped > 0 ? `  (${r.dropped} dropped)` : ''}\n`);
  }
  process.stdout.write(`${JSON.stringify({ bench: 'anonymize-codecs', node: process.version, codecs: rows })}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
