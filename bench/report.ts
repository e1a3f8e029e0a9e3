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
