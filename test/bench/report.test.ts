// The bench's pure parts: the quick-run verdict, the table's handling of skipped and failed cases,
// ratios against peers, and self-time attribution from a V8 cpuprofile.
import { describe, expect, it } from 'vitest';
import { caseTable, cpuPer10k, mirroredShare, offLiveMsPerCopy, peerRatios, quickProblems, targetRows, targetTable, type CaseResult } from '../../bench/report.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hotSpots, shiftWindow, threadProfiles, type CpuProfile } from '../../bench/profile.js';
import { removeTempDir, tempDir } from '../helpers/run.js';
import { sumMetric } from '../../bench/shadowgate.js';
import { fittedGrowth, pacedTable } from '../../bench/sections.js';

const load = (rps: number, p99Ms: number, errors = 0, non2xx = 0) => ({ requests: rps * 3, rps, p50Ms: 1, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3, errors, timeouts: 0, non2xx });

describe('quickProblems', () => {
  it('passes skipped cases and clean runs, and names each failed, idle or erroring case', () => {
    const cases: CaseResult[] = [
      { name: 'direct', group: 'direct', status: 'ok', load: load(1000, 2) },
      { name: 'nginx-mirror', group: 'peer', status: 'skipped', reason: 'nginx not installed' },
      { name: 'a', group: 'shadowgate', status: 'failed', reason: 'exited' },
      { name: 'b', group: 'peer', status: 'ok', load: { ...load(0, 1), requests: 0 } },
      { name: 'c', group: 'peer', status: 'ok', load: load(10, 1, 2) },
      { name: 'd', group: 'peer', status: 'ok', load: load(10, 1, 0, 5) },
    ];
    expect(quickProblems(cases)).toEqual(['a: failed: exited', 'b: no request completed', 'c: 2 errors, 0 non-2xx', 'd: 0 errors, 5 non-2xx']);
    expect(quickProblems(cases.slice(0, 2))).toEqual([]);
  });
});

describe('caseTable and peerRatios', () => {
  it('marks skipped cases on one line and computes ratios against direct and against each peer', () => {
    const cases: CaseResult[] = [
      { name: 'direct', group: 'direct', status: 'ok', load: load(10_000, 1) },
      { name: 'shadowgate-passthrough', group: 'shadowgate', status: 'ok', load: load(6000, 4) },
      { name: 'http-proxy', group: 'peer', status: 'ok', load: load(3000, 8) },
      { name: 'nginx-mirror', group: 'peer', status: 'skipped', reason: 'nginx not\ninstalled | here' },
    ];
    const table = caseTable(cases);
    expect(table).toContain('| shadowgate-passthrough | 6000 | 0.60 |');
    expect(table).toContain('| nginx-mirror | skipped: nginx not installed / here |');
    expect(peerRatios(cases)).toEqual([{ subject: 'shadowgate-passthrough', peer: 'http-proxy', throughput: 2, p99: 0.5 }]);
  });
});

describe('hotSpots', () => {
  it('sums self time per function across nodes and ignores idle time', () => {
    const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)', '', -1) },
        { id: 2, callFrame: frame('parse', 'file:///x/node_modules/undici/lib/parser.js', 9) },
        { id: 3, callFrame: frame('onRequest', 'file:///x/dist/src/proxy/server.js', 41) },
        { id: 4, callFrame: frame('parse', 'file:///x/node_modules/undici/lib/parser.js', 9) },
      ],
      samples: [1, 2, 3, 4, 2, 1],
      timeDeltas: [0, 1000, 300, 200, 500, 700],
    };
    // A sample's time is the delta to the next one: parse = 300 + 500 + 700 µs over nodes 2 and 4,
    // onRequest = 200 µs; the 1000 µs of idle count in neither the list nor the total.
    expect(hotSpots(profile, 2)).toEqual([
      { functionName: 'parse', file: 'node_modules/undici/lib/parser.js', line: 10, selfMs: 1.5, share: 1500 / 1700 },
      { functionName: 'onRequest', file: 'dist/src/proxy/server.js', line: 42, selfMs: 0.2, share: 200 / 1700 },
    ]);
  });
});

describe('threadProfiles', () => {
  it('tells the live thread (tid 0) from the shadow threads by node\'s default file names', () => {
    const dir = tempDir('sg-profiles-');
    try {
      for (const f of ['CPU.20261208.005431.18233.0.001.cpuprofile', 'CPU.20261208.005433.18233.1.002.cpuprofile', 'CPU.20261208.005433.18233.3.003.cpuprofile', 'notes.txt']) writeFileSync(join(dir, f), '{}');
      const found = threadProfiles(dir);
      expect(found.live).toBe(join(dir, 'CPU.20261208.005431.18233.0.001.cpuprofile'));
      expect(found.threads.map((t) => t.tid)).toEqual([1, 3]);
      expect(threadProfiles(join(dir, 'absent'))).toEqual({ live: undefined, threads: [] });
    } finally {
      removeTempDir(dir);
    }
  });

  it('moves the measured window onto a thread that started later', () => {
    const at = (startTime: number): CpuProfile => ({ nodes: [], samples: [], timeDeltas: [], startTime });
    // The thread's profile starts 2,500 ms after the process's: the same instants are 2,500 ms earlier on it.
    expect(shiftWindow({ fromMs: 8000, toMs: 14000 }, at(1_000_000), at(3_500_000))).toEqual({ fromMs: 5500, toMs: 11500 });
  });
});

describe('sumMetric', () => {
  it('sums every label set of one family and no family that merely shares its prefix', () => {
    const text = [
      '# HELP shadowgate_shadow_requests_total x',
      'shadowgate_shadow_requests_total{route="p",target="incumbent",outcome="2xx"} 40',
      'shadowgate_shadow_requests_total{route="p",target="candidate",outcome="2xx"} 2',
      'shadowgate_shadow_requests_total_extra 100',
      'nodejs_eventloop_lag_p99_seconds 0.012',
    ].join('\n');
    expect(sumMetric(text, 'shadowgate_shadow_requests_total')).toBe(42);
    expect(sumMetric(text, 'nodejs_eventloop_lag_p99_seconds')).toBe(0.012);
  });
});

describe('fittedGrowth', () => {
  const at = (values: number[]) => values.map((mb, i) => ({ atS: i * 10, rssBytes: mb * 1048576 }));

  it('reads a steady linear climb as its relative growth over the window', () => {
    expect(fittedGrowth(at([100, 102, 104, 106, 108, 110]))).toBeCloseTo(0.1, 6);
  });

  it('reads a flat process with a GC dip inside the window as flat, where two end samples would not', () => {
    const samples = at([136, 135, 137, 136, 121, 136, 137, 135, 136, 137]);
    expect(Math.abs(fittedGrowth(samples) ?? 1)).toBeLessThan(0.02);
  });

  it('has no answer for fewer than three samples', () => {
    expect(fittedGrowth(at([100, 200]))).toBeUndefined();
  });
});

describe('CPU per 10,000 requests and the paced table', () => {
  it('divides the measured run\'s CPU by its requests, shows the live thread\'s part and the p99 against the peer', () => {
    const ours: CaseResult = { name: 'shadowgate-shadow', group: 'shadowgate', status: 'ok', load: load(2000, 12), cpuSeconds: 3, mainThreadCpuSeconds: 1.5 };
    const peer: CaseResult = { name: 'nginx-mirror', group: 'peer', status: 'ok', load: load(2000, 8), cpuSeconds: 0.6 };
    expect(cpuPer10k(ours)).toBe('5.00'); // 3 s over 6,000 requests
    expect(cpuPer10k(ours, 'live thread')).toBe('2.50');
    expect(cpuPer10k({ ...peer, cpuSeconds: undefined })).toBe('n/a');
    const table = pacedTable([{ result: ours, peer: 'nginx-mirror', p99VsPeer: 1.5 }, { result: peer }], 2000, 64);
    expect(table).toContain('Offered 2000 req/s over 64 connections.');
    expect(table).toContain('| shadowgate-shadow | 2000 | 1.0 | 12.0 | 24.0 | 1.50× nginx-mirror | 5.00 | 2.50 |');
    expect(table).toContain('| nginx-mirror | 2000 | 1.0 | 8.0 | 16.0 |  | 1.00 | n/a |');
    // 1.5 s off the live thread over 1,500 copies mirrored (3,000 calls): 1 ms a copy.
    expect(offLiveMsPerCopy({ ...ours, extra: { shadowSent: 3000 } })).toBe(1);
    expect(offLiveMsPerCopy(ours)).toBeUndefined();
  });
});

describe('issue 23 targets from one run', () => {
  const c = (name: string, group: CaseResult['group'], rps: number, p99: number, cpuSeconds: number, shadowSent?: number): CaseResult => ({
    name, group, status: 'ok', load: load(rps, p99), cpuSeconds, ...(shadowSent !== undefined ? { extra: { shadowSent } } : {}),
  });

  it('states each target met or missed with its ratio, and full shadow\'s CPU only when every copy was mirrored', () => {
    // 6,000 requests each (load() runs 3 s): CPU ms per request = cpuSeconds / 6.
    const paced = [
      c('shadowgate-passthrough', 'shadowgate', 2000, 8, 0.9), c('nginx-proxy-pass', 'peer', 2000, 5, 0.36),
      c('shadowgate-shadow', 'shadowgate', 2000, 30, 3, 12_000), c('nginx-mirror', 'peer', 2000, 20, 1.5),
    ];
    const rows = targetRows({ paced });
    const row = (prefix: string) => rows.find((r) => r.target.startsWith(prefix));
    expect(row('paced: shadowgate-passthrough CPU')).toMatchObject({ verdict: 'met', measured: '0.150 ms vs 0.060 ms' });
    expect(row('paced: shadowgate-passthrough CPU')?.ratio).toBeCloseTo(2.5);
    expect(row('paced: shadowgate-shadow CPU')).toMatchObject({ verdict: 'met', measured: '0.500 ms vs 0.250 ms; 100.0% mirrored' });
    expect(row('paced: full-shadow live p99')).toMatchObject({ verdict: 'missed' });
    expect(row('paced: passthrough p99')).toMatchObject({ verdict: 'met' });
    expect(mirroredShare(paced[2])).toBe(1);
    // The warm-up's copies finishing in the window push calls ÷ 2 past the requests; drops still count.
    const base = paced[2]!;
    const requests = base.load!.requests;
    expect(mirroredShare({ ...base, extra: { shadowSent: requests * 2.04 } })).toBe(1);
    expect(mirroredShare({ ...base, extra: { shadowSent: requests * 2.04, 'dropped.in_flight': requests * 0.02 } })).toBeCloseTo(0.98, 10);

    // Half the copies shed: a CPU ratio under the limit says nothing; one over it is still a miss.
    const shed = targetRows({ paced: [paced[0]!, paced[1]!, { ...paced[2]!, extra: { shadowSent: 6000 } }, paced[3]!] });
    expect(shed.find((r) => r.target.startsWith('paced: shadowgate-shadow CPU'))?.verdict).toBe('n/a');
    expect(targetTable(shed)).toContain('not shown (copies shed)');

    const saturated = targetRows({ cases: [c('shadowgate-shadow', 'shadowgate', 900, 40, 3, 1800), c('nginx-mirror', 'peer', 1000, 30, 1), c('shadowgate-passthrough', 'shadowgate', 3000, 9, 2), c('http-proxy', 'peer', 1500, 20, 2)] });
    expect(saturated.find((r) => r.target.startsWith('saturated: full shadow'))).toMatchObject({ verdict: 'missed' });
    expect(saturated.find((r) => r.target.startsWith('saturated: passthrough'))).toMatchObject({ verdict: 'met' });
    expect(targetTable(saturated)).toContain('| **missed** |');
  });
});
