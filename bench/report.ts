// Turning case results into what people read: the markdown table, ratios against direct and against
// each peer, and the checks --quick asserts (every case ran, served requests, no errors).
import type { LoopDelay } from './child-ipc.js';
import type { LoadResult } from './load.js';

export type CaseResult = {
  name: string;
  group: 'direct' | 'shadowgate' | 'peer';
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  load?: LoadResult;
  peakRssBytes?: number;
  /** CPU seconds (user + system, all threads) the subject's processes used during the measured run. */
  cpuSeconds?: number;
  /** The part of cpuSeconds spent on the root process's main thread (the live thread). */
  mainThreadCpuSeconds?: number;
  loopDelay?: LoopDelay;
  extra?: Record<string, number>;
};

/** A reason fit for a table cell: one line, bounded. */
export const cell = (text: string | undefined): string => (text ?? '').replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, 160);
export const fixed = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
export const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : (bytes / 1048576).toFixed(0));

/** Shadow calls sent per live request (2 = every copy to both targets) and the main drop reasons. */
export function shadowShare(c: CaseResult): string {
  const extra = c.extra ?? {};
  if (c.load === undefined || extra.shadowSent === undefined) return '';
  const drops = Object.entries(extra)
    .filter(([k]) => k.startsWith('dropped.'))
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k.slice(8)} ${(n / (c.load as LoadResult).requests * 100).toFixed(0)}%`);
  if (extra.shadowSent === 0 && drops.length === 0) return '';
  return `${(extra.shadowSent / c.load.requests).toFixed(2)}${drops.length > 0 ? ` (dropped: ${drops.join(', ')})` : ''}`;
}

/** CPU seconds per 10,000 requests served (threads and child processes included), or n/a. */
export function cpuPer10k(c: CaseResult, part: 'all' | 'live thread' = 'all'): string {
  const seconds = part === 'all' ? c.cpuSeconds : c.mainThreadCpuSeconds;
  return seconds === undefined || c.load === undefined || c.load.requests === 0 ? 'n/a' : (seconds / c.load.requests * 10_000).toFixed(2);
}

/** The main table, one row per case, ratios against the direct run. */
export function caseTable(cases: readonly CaseResult[]): string {
  const direct = cases.find((c) => c.name === 'direct' && c.status === 'ok')?.load;
  const rows = [
    '| case | req/s | × direct | p50 ms | p99 ms | p99.9 ms | errors | non-2xx | peak RSS MB | CPU s / 10k req | loop p99 ms | shadow calls/req |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of cases) {
    if (c.status !== 'ok' || c.load === undefined) {
      rows.push(`| ${c.name} | ${c.status}: ${cell(c.reason)} |  |  |  |  |  |  |  |  |  |  |`);
      continue;
    }
    const l = c.load;
    rows.push(`| ${c.name} | ${l.rps.toFixed(0)} | ${direct ? (l.rps / direct.rps).toFixed(2) : 'n/a'} | ${fixed(l.p50Ms)} | ${fixed(l.p99Ms)} | ${fixed(l.p999Ms)} | ${l.errors} | ${l.non2xx} | ${mb(c.peakRssBytes)} | ${cpuPer10k(c)} | ${fixed(c.loopDelay?.p99Ms)} | ${shadowShare(c)} |`);
  }
  return rows.join('\n');
}

export type PeerRatio = { subject: string; peer: string; throughput: number; p99: number };

/** Every shadowgate case against every peer: throughput ratio (>1 is faster) and p99 ratio (<1 is lower). */
export function peerRatios(cases: readonly CaseResult[]): PeerRatio[] {
  const ok = cases.filter((c) => c.status === 'ok' && c.load !== undefined);
  const out: PeerRatio[] = [];
  for (const s of ok.filter((c) => c.group === 'shadowgate')) {
    for (const p of ok.filter((c) => c.group === 'peer')) {
      const a = s.load as LoadResult;
      const b = p.load as LoadResult;
      out.push({ subject: s.name, peer: p.name, throughput: a.rps / b.rps, p99: a.p99Ms / b.p99Ms });
    }
  }
  return out;
}

export function peerRatioTable(ratios: readonly PeerRatio[]): string {
  const subjects = [...new Set(ratios.map((r) => r.subject))];
  const peers = [...new Set(ratios.map((r) => r.peer))];
  if (subjects.length === 0 || peers.length === 0) return '(no shadowgate/peer pair ran)';
  const rows = [`| req/s ratio (p99 ratio) | ${peers.join(' | ')} |`, `|---|${peers.map(() => '---:').join('|')}|`];
  for (const s of subjects) {
    const cells = peers.map((p) => {
      const r = ratios.find((x) => x.subject === s && x.peer === p);
      return r ? `${r.throughput.toFixed(2)}× (${r.p99.toFixed(2)})` : '';
    });
    rows.push(`| ${s} | ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

/** What --quick asserts: every case that could run did, served requests, and saw no error. */
export function quickProblems(cases: readonly CaseResult[]): string[] {
  const problems: string[] = [];
  for (const c of cases) {
    if (c.status === 'skipped') continue;
    if (c.status === 'failed' || c.load === undefined) problems.push(`${c.name}: failed: ${c.reason ?? 'no result'}`);
    else if (c.load.requests === 0) problems.push(`${c.name}: no request completed`);
    else if (c.load.errors > 0 || c.load.non2xx > 0) problems.push(`${c.name}: ${c.load.errors} errors, ${c.load.non2xx} non-2xx`);
  }
  return problems;
}

/** CPU milliseconds per request of a case (threads and child processes included, or the live thread alone). */
export function cpuMsPerRequest(c: CaseResult | undefined, part: 'all' | 'live thread' = 'all'): number | undefined {
  const seconds = part === 'all' ? c?.cpuSeconds : c?.mainThreadCpuSeconds;
  return seconds === undefined || c?.load === undefined || c.load.requests === 0 ? undefined : seconds / c.load.requests * 1000;
}

/**
 * CPU ms off the live thread per copy mirrored (full shadow: 2 calls a copy): the shadow threads' cost per
 * copy, whatever share was shed (CPU per request hides it when copies are dropped), or undefined.
 */
export function offLiveMsPerCopy(c: CaseResult | undefined, targets = 2): number | undefined {
  const sent = c?.extra?.shadowSent;
  if (sent === undefined || sent === 0 || c?.cpuSeconds === undefined || c.mainThreadCpuSeconds === undefined) return undefined;
  return (c.cpuSeconds - c.mainThreadCpuSeconds) / (sent / targets) * 1000;
}

/**
 * Share of requests whose copy reached both targets (full shadow sends 2 calls a request). The calls counted
 * in the window include the tail of the warm-up's copies, so calls ÷ 2 can pass the requests served; the
 * share is also at most 1 − the copies dropped in the window ÷ requests, and never above 1.
 */
export function mirroredShare(c: CaseResult | undefined, targets = 2): number | undefined {
  const extra = c?.extra;
  const sent = extra?.shadowSent;
  if (sent === undefined || c?.load === undefined || c.load.requests === 0) return undefined;
  let dropped = 0;
  for (const [k, n] of Object.entries(extra ?? {})) if (k.startsWith('dropped.')) dropped += n;
  return Math.min(1, sent / targets / c.load.requests, 1 - dropped / c.load.requests);
}

export type TargetRow = { target: string; measured: string; ratio: number | undefined; limit: string; verdict: 'met' | 'missed' | 'n/a' };

/**
 * Issue 23's targets, from the cases that ran in this run: CPU per request and p99 at the paced rate
 * (each beside its NGINX peer), throughput at saturation (main table), CPU per request at every body size.
 */
export function targetRows(input: { paced?: readonly CaseResult[]; cases?: readonly CaseResult[]; growth?: readonly { kb: number; load: string; results: readonly CaseResult[] }[] }): TargetRow[] {
  const rows: TargetRow[] = [];
  const find = (list: readonly CaseResult[] | undefined, name: string) => list?.find((c) => c.name === name && c.status === 'ok' && c.load !== undefined);
  const ms = (n: number | undefined) => (n === undefined ? 'n/a' : `${n.toFixed(3)} ms`);
  const verdict = (ratio: number | undefined, ok: (r: number) => boolean): TargetRow['verdict'] => (ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : ok(ratio) ? 'met' : 'missed');
  const cpuTarget = (where: string, list: readonly CaseResult[] | undefined, ours: string, peer: string, max: number) => {
    const a = cpuMsPerRequest(find(list, ours));
    const b = cpuMsPerRequest(find(list, peer));
    const ratio = a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
    // Full shadow's CPU compares with NGINX mirroring every request only when (nearly) every copy was sent:
    // a shed copy costs less than a mirrored one.
    const share = ours === 'shadowgate-shadow' ? mirroredShare(find(list, ours)) : undefined;
    const shed = share !== undefined && share < 0.99;
    rows.push({
      target: `${where}: ${ours} CPU per request ≤ ${max}× ${peer}`,
      measured: `${ms(a)} vs ${ms(b)}${share !== undefined ? `; ${(share * 100).toFixed(1)}% mirrored` : ''}`,
      ratio, limit: `≤ ${max}×${share !== undefined ? ', ≥ 99% mirrored' : ''}`,
      verdict: shed ? (ratio !== undefined && ratio > max ? 'missed' : 'n/a') : verdict(ratio, (r) => r <= max),
    });
  };
  if (input.paced !== undefined) {
    cpuTarget('paced', input.paced, 'shadowgate-passthrough', 'nginx-proxy-pass', 3);
    cpuTarget('paced', input.paced, 'shadowgate-shadow', 'nginx-mirror', 2.5);
    const sh = find(input.paced, 'shadowgate-shadow');
    const nm = find(input.paced, 'nginx-mirror');
    const share = mirroredShare(sh);
    const p99 = sh?.load && nm?.load ? sh.load.p99Ms / nm.load.p99Ms : undefined;
    rows.push({
      target: 'paced: full-shadow live p99 ≤ NGINX mirror-2 p99, with ≥ 99% of copies mirrored',
      measured: `${fixed(sh?.load?.p99Ms)} vs ${fixed(nm?.load?.p99Ms)} ms; ${share === undefined ? 'n/a' : `${(share * 100).toFixed(1)}%`} mirrored`,
      ratio: p99, limit: '≤ 1.00× and ≥ 99%',
      verdict: p99 === undefined || share === undefined ? 'n/a' : p99 <= 1 && share >= 0.99 ? 'met' : 'missed',
    });
    const pt = find(input.paced, 'shadowgate-passthrough');
    const np = find(input.paced, 'nginx-proxy-pass');
    const pp99 = pt?.load && np?.load ? pt.load.p99Ms / np.load.p99Ms : undefined;
    rows.push({ target: 'paced: passthrough p99 ≤ 2× NGINX proxy_pass', measured: `${fixed(pt?.load?.p99Ms)} vs ${fixed(np?.load?.p99Ms)} ms`, ratio: pp99, limit: '≤ 2×', verdict: verdict(pp99, (r) => r <= 2) });
  }
  if (input.cases !== undefined) {
    const rps = (a: string, b: string, min: number, what: string) => {
      const x = find(input.cases, a)?.load?.rps;
      const y = find(input.cases, b)?.load?.rps;
      const ratio = x !== undefined && y !== undefined && y > 0 ? x / y : undefined;
      const share = a === 'shadowgate-shadow' ? mirroredShare(find(input.cases, a)) : undefined;
      rows.push({ target: `saturated: ${what} ≥ ${min}× ${b} req/s`, measured: `${fixed(x, 0)} vs ${fixed(y, 0)} req/s${share !== undefined ? `; ${(share * 100).toFixed(1)}% mirrored` : ''}`, ratio, limit: `≥ ${min}×`, verdict: verdict(ratio, (r) => r >= min) });
    };
    rps('shadowgate-shadow', 'nginx-mirror', 1, 'full shadow');
    rps('shadowgate-passthrough', 'http-proxy', 1.5, 'passthrough');
    cpuTarget('saturated', input.cases, 'shadowgate-passthrough', 'nginx-proxy-pass', 3);
    cpuTarget('saturated', input.cases, 'shadowgate-shadow', 'nginx-mirror', 2.5);
  }
  for (const g of input.growth ?? []) {
    cpuTarget(`${g.load}, ${g.kb} KB`, g.results, 'shadowgate-passthrough', 'nginx-proxy-pass', 3);
    cpuTarget(`${g.load}, ${g.kb} KB`, g.results, 'shadowgate-shadow', 'nginx-mirror', 2.5);
  }
  return rows.filter((r) => r.verdict !== 'n/a' || r.measured !== 'n/a vs n/a');
}

export function targetTable(rows: readonly TargetRow[]): string {
  const out = ['| target (issue 23) | measured | ratio | limit | verdict |', '|---|---|---:|---|---|'];
  for (const r of rows) {
    const verdict = r.verdict === 'missed' ? '**missed**' : r.verdict === 'n/a' && r.ratio !== undefined ? 'not shown (copies shed)' : r.verdict;
    out.push(`| ${r.target} | ${r.measured} | ${r.ratio === undefined ? 'n/a' : `${r.ratio.toFixed(2)}×`} | ${r.limit} | ${verdict} |`);
  }
  return out.join('\n');
}
