// The bench's extra sections: isolation under load (primary p99 with a slow or dead candidate versus
// shadow off, at a fixed offered rate), soak (RSS over time with shadow on) and multi-core (workers).
import { freeTextBody, sizedBody } from './fixtures.js';
import { runLoad, type LoadResult } from './load.js';
import { measureCase, type MeasureOptions } from './measure.js';
import { cpuSeconds, currentRss, freePort, peakRss, processTree } from './procs.js';
import { cell, cpuMsPerRequest, cpuPer10k, fixed, mb, offLiveMsPerCopy, shadowShare, type CaseResult } from './report.js';
import { shadowgateSubject, startUpstream, SUBJECTS, type BenchEnv, type Subject } from './subjects.js';

const subject = (name: string): Subject => {
  const s = SUBJECTS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no subject ${name}`);
  return s;
};

/** Half the passthrough maximum, measured now (the offered rate of isolation and soak). */
export async function halfPassthroughRate(env: BenchEnv, opts: MeasureOptions): Promise<number> {
  const probe = await measureCase(subject('shadowgate-passthrough'), env, opts);
  if (probe.status !== 'ok' || probe.load === undefined) throw new Error(`passthrough probe ${probe.status}: ${probe.reason ?? ''}`);
  return Math.max(100, Math.floor(probe.load.rps / 2));
}

export type IsolationRow = {
  pair: string; condition: 'shadow-off' | 'candidate-healthy' | 'candidate-1s' | 'candidate-hung' | 'candidate-down'; result: CaseResult;
  p99VsOff?: number;
  /** Against shadow on with a healthy candidate: the slow or dead candidate's own effect, net of shadow work. */
  p99VsHealthy?: number;
};

/**
 * For shadowgate (and NGINX's mirror when installed): the primary's latency at the same offered rate
 * with shadowing off, with shadowing to a healthy candidate (the cost of the shadow work itself), with
 * a candidate that answers after 1 s, and with a candidate nobody listens on.
 */
export async function isolation(env: BenchEnv, opts: MeasureOptions & { overallRate: number }): Promise<IsolationRow[]> {
  const slow = await startUpstream('node', 'candidate', env, 1000);
  // Hung: accepts and reads the copy, never answers (every call runs into the 2 s shadow timeout).
  const hung = await startUpstream('node', 'candidate', env, 3_600_000);
  const downUrl = `http://127.0.0.1:${await freePort()}`;
  const pairs: [string, Subject, Subject][] = [['shadowgate', subject('shadowgate-passthrough'), subject('shadowgate-shadow')]];
  if (env.nginx !== undefined) pairs.push(['nginx', subject('nginx-proxy-pass'), subject('nginx-mirror')]);
  const rows: IsolationRow[] = [];
  try {
    for (const [pair, off, on] of pairs) {
      const offResult = await measureCase(off, env, opts);
      rows.push({ pair, condition: 'shadow-off', result: offResult });
      let healthy: CaseResult | undefined;
      for (const [condition, candidate] of [['candidate-healthy', env.upstreams.candidate], ['candidate-1s', slow.url], ['candidate-hung', hung.url], ['candidate-down', downUrl]] as const) {
        const result = await measureCase(on, { ...env, upstreams: { ...env.upstreams, candidate } }, opts);
        healthy ??= result;
        const p99VsOff = p99Ratio(result, offResult);
        const p99VsHealthy = condition === 'candidate-healthy' ? undefined : p99Ratio(result, healthy);
        rows.push({ pair, condition, result, ...(p99VsOff !== undefined ? { p99VsOff } : {}), ...(p99VsHealthy !== undefined ? { p99VsHealthy } : {}) });
      }
    }
  } finally {
    await slow.stop();
    await hung.stop();
  }
  return rows;
}

function p99Ratio(a: CaseResult, b: CaseResult): number | undefined {
  return a.load && b.load ? a.load.p99Ms / b.load.p99Ms : undefined;
}

export function isolationTable(rows: readonly IsolationRow[], rate: number, rateSource: string): string {
  const out = [`Offered rate ${rate} req/s (${rateSource}).`, '', '| proxy | condition | p50 ms | p99 ms | p99.9 ms | p99 vs off | p99 vs healthy | errors | non-2xx | shadow calls/req |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const ratio = (r: number | undefined) => (r !== undefined ? `${r.toFixed(2)}×` : '—');
  for (const r of rows) {
    const l = r.result.load;
    if (l === undefined) {
      out.push(`| ${r.pair} | ${r.condition} | ${r.result.status}: ${cell(r.result.reason)} | | | | | | | |`);
      continue;
    }
    out.push(`| ${r.pair} | ${r.condition} | ${l.p50Ms.toFixed(1)} | ${l.p99Ms.toFixed(1)} | ${l.p999Ms.toFixed(1)} | ${ratio(r.p99VsOff)} | ${ratio(r.p99VsHealthy)} | ${l.errors} | ${l.non2xx} | ${shadowShare(r.result)} | ${fixed(offLiveMsPerCopy(r.result), 3)} |`);
  }
  return out.join('\n');
}

export type SoakResult = { rate: number; minutes: number; samples: { atS: number; rssBytes: number }[]; warmupS: number; growth: number | undefined; result: CaseResult };

/**
 * Relative RSS growth over the window, from a least-squares line rather than two single samples, so
 * one GC cycle at either end cannot fake growth or shrinkage.
 */
export function fittedGrowth(samples: readonly { atS: number; rssBytes: number }[]): number | undefined {
  const n = samples.length;
  const first = samples[0];
  const last = samples[n - 1];
  if (n < 3 || first === undefined || last === undefined || last.atS === first.atS) return undefined;
  const meanT = samples.reduce((a, x) => a + x.atS, 0) / n;
  const meanR = samples.reduce((a, x) => a + x.rssBytes, 0) / n;
  const cov = samples.reduce((a, x) => a + (x.atS - meanT) * (x.rssBytes - meanR), 0);
  const varT = samples.reduce((a, x) => a + (x.atS - meanT) ** 2, 0);
  const slope = cov / varT;
  const start = meanR + slope * (first.atS - meanT);
  return start > 0 ? (slope * (last.atS - first.atS)) / start : undefined;
}

/** Shadow on at a fixed rate; current RSS of the process tree every 10 s; growth after the warm-up. */
export async function soak(env: BenchEnv, opts: { minutes: number; rate: number; connections: number }): Promise<SoakResult> {
  const samples: { atS: number; rssBytes: number }[] = [];
  const durationS = Math.round(opts.minutes * 60);
  // Warm-up: JIT, pools and caches fill, and V8 grows then compacts its old space (the first full run
  // peaked at 70 s and settled by 80 s): 30% of the run, between 30 s and 120 s.
  const warmupS = Math.min(120, Math.max(30, Math.round(durationS * 0.3)));
  const result = await measureCase(shadowgateSubject('shadowgate-shadow', 'shadow'), env, { durationS, warmupS: 0, connections: opts.connections, overallRate: opts.rate }, (running) => {
    const start = Date.now();
    const sample = () => {
      if (running.pid !== undefined) samples.push({ atS: Math.round((Date.now() - start) / 1000), rssBytes: currentRss(running.pid) });
    };
    sample();
    const timer = setInterval(sample, 10_000);
    return () => {
      clearInterval(timer);
      sample();
    };
  });
  const growth = fittedGrowth(samples.filter((x) => x.atS >= warmupS));
  return { rate: opts.rate, minutes: opts.minutes, samples, warmupS, growth, result };
}

export type WorkersRow = { workers: number; shadowThreads?: number; mode: string; processes: number; result: CaseResult };

/**
 * Saturated throughput and CPU per request with `server.workers` 1 and 2: passthrough, and full shadow with
 * `server.shadowThreads` 1 and 2 in each process; counts the processes that ran.
 */
export async function workers(env: BenchEnv, opts: MeasureOptions): Promise<WorkersRow[]> {
  const rows: WorkersRow[] = [];
  const plan: [ 'passthrough' | 'shadow', number, number | undefined][] = [
    ['passthrough', 1, undefined], ['passthrough', 2, undefined],
    ['shadow', 1, 1], ['shadow', 1, 2], ['shadow', 2, 1], ['shadow', 2, 2],
  ];
  for (const [mode, n, threads] of plan) {
    let processes = 0;
    const name = `shadowgate-${mode}-w${n}${threads !== undefined ? `-t${threads}` : ''}`;
    const result = await measureCase(shadowgateSubject(name, mode, n, undefined, threads), env, opts, (running) => () => {
      processes = running.pid !== undefined ? processTree(running.pid).length : 0;
    });
    rows.push({ workers: n, ...(threads !== undefined ? { shadowThreads: threads } : {}), mode, processes, result });
  }
  return rows;
}

export function workersTable(rows: readonly WorkersRow[]): string {
  const out = ['| mode | workers | shadowThreads | processes | req/s | p99 ms | CPU ms / req | errors | peak RSS MB | shadow calls/req |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const l = r.result.load;
    const threads = r.shadowThreads ?? '–';
    out.push(l === undefined
      ? `| ${r.mode} | ${r.workers} | ${threads} | ${r.processes} | ${r.result.status}: ${cell(r.result.reason)} | | | | | |`
      : `| ${r.mode} | ${r.workers} | ${threads} | ${r.processes} | ${l.rps.toFixed(0)} | ${l.p99Ms.toFixed(1)} | ${fixed(cpuMsPerRequest(r.result), 3)} | ${l.errors} | ${mb(r.result.peakRssBytes)} | ${shadowShare(r.result)} |`);
  }
  return out.join('\n');
}

export type PacedRow = { result: CaseResult; peer?: string; p99VsPeer?: number };

/**
 * Each subject at one fixed offered rate: the latency a client sees when nobody is saturated. With
 * `baselineMain` (another build's cli/main.js), that build's full shadow runs too, for a before/after.
 */
export async function paced(env: BenchEnv, opts: MeasureOptions & { overallRate: number; baselineMain?: string; cases?: ReadonlySet<string> }): Promise<PacedRow[]> {
  const wants = (c: string) => opts.cases === undefined || opts.cases.has(c);
  const pairs: [Subject, string][] = [];
  if (wants('passthrough')) pairs.push([subject('shadowgate-passthrough'), 'nginx-proxy-pass']);
  if (wants('shadow')) pairs.push([subject('shadowgate-shadow'), 'nginx-mirror']);
  if (opts.baselineMain !== undefined) {
    if (wants('passthrough')) pairs.push([shadowgateSubject('shadowgate-passthrough-before', 'passthrough', 1, opts.baselineMain), 'nginx-proxy-pass']);
    if (wants('shadow')) pairs.push([shadowgateSubject('shadowgate-shadow-before', 'shadow', 1, opts.baselineMain), 'nginx-mirror']);
  }
  const rows: PacedRow[] = [];
  const peers = new Map<string, CaseResult>();
  for (const [ours, peer] of pairs) {
    const a = await measureCase(ours, env, opts);
    let b = peers.get(peer);
    const fresh = b === undefined;
    if (b === undefined) peers.set(peer, (b = await measureCase(subject(peer), env, opts)));
    const ratio = p99Ratio(a, b);
    rows.push({ result: a, peer, ...(ratio !== undefined ? { p99VsPeer: ratio } : {}) });
    if (fresh) rows.push({ result: b });
  }
  return rows;
}

/** The open-loop pacer's own lateness at p99: when it is large, the bench process was starved too, not only the subject. */
const lag = (ms: number | undefined): string => (ms === undefined ? '' : fixed(ms));

export function pacedTable(rows: readonly PacedRow[], rate: number, connections: number): string {
  const out = [`Offered ${rate} req/s over ${connections} connections.`, '', 'CPU of the proxy\'s processes (threads included) from /proc; CPU ms / req = CPU s / 10k req ÷ 10; per copy off the live thread = (all − live thread) ÷ copies mirrored.', '', '| case | req/s | p50 ms | p99 ms | p99.9 ms | p99 vs peer | CPU s / 10k req | of it live thread | CPU ms / req | CPU vs peer | peak RSS MB | errors | non-2xx | shadow calls/req | CPU ms / copy off the live thread | load-gen lag p99 ms |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const byName = new Map(rows.map((r) => [r.result.name, r.result]));
  for (const r of rows) {
    const l = r.result.load;
    if (l === undefined) {
      out.push(`| ${r.result.name} | ${r.result.status}: ${cell(r.result.reason)} | | | | | | | | | | |`);
      continue;
    }
    const vs = r.p99VsPeer !== undefined ? `${r.p99VsPeer.toFixed(2)}× ${r.peer}` : '';
    const cpu = cpuMsPerRequest(r.result);
    const peerCpu = r.peer !== undefined ? cpuMsPerRequest(byName.get(r.peer)) : undefined;
    const cpuVs = cpu !== undefined && peerCpu !== undefined && peerCpu > 0 ? `${(cpu / peerCpu).toFixed(2)}×` : '';
    out.push(`| ${r.result.name} | ${l.rps.toFixed(0)} | ${fixed(l.p50Ms)} | ${fixed(l.p99Ms)} | ${fixed(l.p999Ms)} | ${vs} | ${cpuPer10k(r.result)} | ${cpuPer10k(r.result, 'live thread')} | ${fixed(cpu, 3)} | ${cpuVs} | ${mb(r.result.peakRssBytes)} | ${l.errors} | ${l.non2xx} | ${shadowShare(r.result)} | ${fixed(offLiveMsPerCopy(r.result), 3)} | ${lag(l.sendLagP99Ms)} |`);
  }
  return out.join('\n');
}

export type FreeTextResult = {
  alone: LoadResult; withSender: LoadResult; sender: LoadResult; p99Ratio: number;
  /** Shadow copies dropped during the run with the sender, by reason. */
  dropped: Record<string, number>; cpuSeconds: number; peakRssBytes: number;
};

/**
 * A 100 req/s prober (the bench body) alone, then beside a client sending ~60 KB free-text bodies at
 * 26 req/s, both through full shadow: the prober's latency must not follow the anonymizer's hardest input.
 */
export async function freeText(env: BenchEnv, opts: { durationS: number; senderRate?: number; proberRate?: number; bytes?: number; main?: string }): Promise<FreeTextResult> {
  const running = await (opts.main === undefined ? subject('shadowgate-shadow') : shadowgateSubject('shadowgate-shadow-before', 'shadow', 1, opts.main)).start(env);
  try {
    const prober = { url: running.url, connections: 4, overallRate: opts.proberRate ?? 100, durationS: opts.durationS };
    await runLoad({ ...prober, durationS: Math.min(3, opts.durationS) }); // warm-up
    const alone = await runLoad(prober);
    await running.beforeMeasure();
    const cpuBefore = cpuSeconds(running.pid ?? 0);
    const [withSender, sender] = await Promise.all([
      runLoad(prober),
      runLoad({ url: running.url, connections: 2, overallRate: opts.senderRate ?? 26, durationS: opts.durationS, body: freeTextBody(opts.bytes ?? 60_000) }),
    ]);
    const cpu = cpuSeconds(running.pid ?? 0) - cpuBefore;
    const after = await running.afterMeasure();
    const dropped: Record<string, number> = {};
    for (const [k, n] of Object.entries(after.extra)) if (k.startsWith('dropped.')) dropped[k.slice(8)] = n;
    return { alone, withSender, sender, p99Ratio: withSender.p99Ms / alone.p99Ms, dropped, cpuSeconds: cpu, peakRssBytes: peakRss(running.pid ?? 0) };
  } finally {
    await running.stop();
  }
}

export function freeTextTable(r: FreeTextResult): string {
  const row = (name: string, l: LoadResult) => `| ${name} | ${l.rps.toFixed(0)} | ${fixed(l.p50Ms)} | ${fixed(l.p99Ms)} | ${fixed(l.p999Ms)} | ${l.errors} | ${l.non2xx} |`;
  return ['| load | req/s | p50 ms | p99 ms | p99.9 ms | errors | non-2xx |', '|---|---:|---:|---:|---:|---:|---:|',
    row('prober alone', r.alone), row('prober beside the sender', r.withSender), row('60 KB free-text sender', r.sender), '',
    `Prober p99 with the sender / without: ${r.p99Ratio.toFixed(2)}×; copies dropped during it: ${JSON.stringify(r.dropped)}; peak RSS ${mb(r.peakRssBytes)} MB.`].join('\n');
}

export type MemoryCycle = {
  /** RSS of the process tree (threads included) at each phase, in bytes; peaks are VmHWM deltas' maxima sampled every 250 ms. */
  idleBytes: number; peak256Bytes: number; peak1024Bytes: number; peak256AfterBytes: number; idleAfterBytes: number;
  /** The 256-connection peak after the 1,024 burst over the one before it (1.00 = fully back). */
  backRatio: number;
  loads: { c256: LoadResult; c1024: LoadResult; c256After: LoadResult };
};

/**
 * Full shadow through a memory cycle: idle, 256 connections, a 1,024-connection burst, idle again, 256 again.
 * RSS is sampled (current, not the high-water mark, which never comes down) every 250 ms during each phase.
 */
/** `overallRate` paces every phase (the same offered load whatever the machine's other load): RSS then compares. */
export async function memoryCycle(env: BenchEnv, opts: { durationS: number; settleS?: number; overallRate?: number }): Promise<MemoryCycle> {
  const settleMs = (opts.settleS ?? 5) * 1000;
  const running = await subject('shadowgate-shadow').start(env);
  try {
    const pid = running.pid!;
    const during = async (connections: number): Promise<{ peak: number; load: LoadResult }> => {
      let peak = currentRss(pid);
      const timer = setInterval(() => { peak = Math.max(peak, currentRss(pid)); }, 250);
      try {
        const load = await runLoad({ url: running.url, connections, durationS: opts.durationS, ...(opts.overallRate !== undefined ? { overallRate: opts.overallRate } : {}) });
        return { peak: Math.max(peak, currentRss(pid)), load };
      } finally {
        clearInterval(timer);
      }
    };
    await new Promise((r) => setTimeout(r, settleMs));
    const idleBytes = currentRss(pid);
    const a = await during(256);
    const b = await during(1024);
    await new Promise((r) => setTimeout(r, settleMs));
    const idleAfterBytes = currentRss(pid);
    const c = await during(256);
    return {
      idleBytes, peak256Bytes: a.peak, peak1024Bytes: b.peak, peak256AfterBytes: c.peak, idleAfterBytes,
      backRatio: c.peak / a.peak, loads: { c256: a.load, c1024: b.load, c256After: c.load },
    };
  } finally {
    await running.stop();
  }
}

export function memoryCycleTable(m: MemoryCycle): string {
  const row = (phase: string, bytes: number, load?: LoadResult) =>
    `| ${phase} | ${mb(bytes)} | ${load ? `${fixed(load.rps, 0)} req/s, p99 ${fixed(load.p99Ms, 1)} ms, ${load.errors + load.non2xx} errors` : '–'} |`;
  return [
    '| phase (full shadow, 1 KB JSON) | RSS MB (threads included) | load |',
    '|---|---:|---|',
    row('idle after start', m.idleBytes),
    row('256 connections (peak)', m.peak256Bytes, m.loads.c256),
    row('1,024 connections (peak)', m.peak1024Bytes, m.loads.c1024),
    row('idle after the burst', m.idleAfterBytes),
    row('256 connections again (peak)', m.peak256AfterBytes, m.loads.c256After),
    '',
    `back to 256 after the burst: ${fixed(m.backRatio, 2)}× the first 256 peak (target ≤ 1.15)`,
  ].join('\n');
}

export type GrowthRow = { kb: number; bodyBytes: number; load: 'paced' | 'saturated'; results: CaseResult[] };

/**
 * Cost growth: CPU per request for 1, 10 and 100 KB bodies, passthrough and full shadow beside NGINX
 * proxy_pass and mirror, at one paced rate and saturated — the slope matters as much as the intercept.
 */
export async function costGrowth(env: BenchEnv, opts: MeasureOptions & { overallRate: number; sizesKb?: readonly number[]; loads?: readonly ('paced' | 'saturated')[] }): Promise<GrowthRow[]> {
  const rows: GrowthRow[] = [];
  for (const load of opts.loads ?? ['paced', 'saturated'] as const) {
    for (const kb of opts.sizesKb ?? [1, 10, 100]) {
      const body = sizedBody(kb);
      const results: CaseResult[] = [];
      const run: MeasureOptions = { durationS: opts.durationS, warmupS: opts.warmupS, connections: opts.connections, body, ...(load === 'paced' ? { overallRate: opts.overallRate } : {}) };
      for (const name of ['shadowgate-passthrough', 'nginx-proxy-pass', 'shadowgate-shadow', 'nginx-mirror']) {
        results.push(await measureCase(subject(name), env, run));
      }
      rows.push({ kb, bodyBytes: Buffer.byteLength(body), load, results });
    }
  }
  return rows;
}

export function growthTable(rows: readonly GrowthRow[], rate: number): string {
  const out = [
    `Paced: ${rate} req/s offered; saturated: as fast as the proxy answers. CPU ms per request of the proxy's processes (threads included), the ratio to its NGINX peer, req/s and the mirrored share of full shadow.`, '',
    '| load | body | passthrough | NGINX proxy_pass | ratio | full shadow | NGINX mirror-2 | ratio | req/s pt / nginx / shadow / mirror | shadow p99 ms | mirror p99 ms | shadow calls/req |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const by = (name: string) => r.results.find((c) => c.name === name);
    const names = ['shadowgate-passthrough', 'nginx-proxy-pass', 'shadowgate-shadow', 'nginx-mirror'];
    const [pt, np, sh, nm] = names.map((n) => cpuMsPerRequest(by(n)));
    const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
    const rps = names.map((n) => fixed(by(n)?.load?.rps, 0)).join(' / ');
    const shadow = by('shadowgate-shadow');
    out.push(`| ${r.load} | ${(r.bodyBytes / 1024).toFixed(1)} KB | ${fixed(pt, 3)} | ${fixed(np, 3)} | ${ratio(pt, np)} | ${fixed(sh, 3)} | ${fixed(nm, 3)} | ${ratio(sh, nm)} | ${rps} | ${fixed(shadow?.load?.p99Ms)} | ${fixed(by('nginx-mirror')?.load?.p99Ms)} | ${shadow ? shadowShare(shadow) : ''} |`);
  }
  return out.join('\n');
}
