// `npm run bench`: starts the upstream fleet, measures every case of the main table side by side in
// one run (direct, shadowgate modes, Node and NGINX peers), plus the optional sections, prints
// markdown and writes bench/results/<date>.json. `--help` lists the options.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { measureCase, type MeasureOptions } from './measure.js';
import { MICRO_SCRIPTS, anonymizerTable, runMicro, type MicroResult } from './micro.js';
import { findNginx } from './nginx.js';
import { hotSpots, readProfile, selfTimeByOrigin, shiftWindow, threadProfiles, type CpuProfile, type HotSpot, type OriginShare, type ProfileWindow } from './profile.js';
import { caseTable, peerRatios, peerRatioTable, quickProblems, shadowShare, targetRows, targetTable, type CaseResult, type TargetRow } from './report.js';
import {
  costGrowth, freeText, freeTextTable, growthTable, halfPassthroughRate, isolation, isolationTable, memoryCycle, memoryCycleTable, paced, pacedTable, soak, workers, workersTable,
  type FreeTextResult, type GrowthRow, type IsolationRow, type MemoryCycle, type PacedRow, type SoakResult, type WorkersRow,
} from './sections.js';
import { startFleet, SUBJECTS, type BenchEnv, type UpstreamKind } from './subjects.js';

const HELP = `usage: node dist/bench/run.js [options]
  --quick              1.5 s a case after 0.3 s warm-up; exit 1 unless every case ran without errors (CI smoke)
  --only A,B           main-table cases to run (${SUBJECTS.map((s) => s.name).join(', ')})
  --duration S         seconds per measured case (default 10; quick 1.5)
  --warmup S           seconds of discarded load before each case (default 3; quick 0.3)
  --connections N      concurrent connections (default 64)
  --repeat N           rounds of the main table, cases interleaved; each row is its median-throughput run
  --upstream K         node | nginx (default nginx when installed: the cheapest model stand-in)
  --isolation          primary p99 with a slow / dead candidate versus shadow off, at half the passthrough max
  --soak               shadow on at a fixed rate for --minutes (default 5); RSS every 10 s
  --minutes M          soak length
  --rate R             offered req/s for --isolation and --soak (default: half the passthrough max); paces --memory
  --workers            shadowgate throughput and CPU per request with server.workers 1 and 2 (× shadowThreads 1, 2)
  --paced              passthrough and full shadow beside NGINX at one fixed offered rate, open loop (bench/pacer.ts:
                       latency from each request's due time; p50/p99/p99.9, CPU-seconds per 10,000 requests, peak RSS)
  --paced-rate R       offered req/s of --paced (default 2000)
  --paced-cases L      passthrough, shadow or both (default passthrough,shadow): which pairs --paced runs
  --before FILE        with --paced: also run passthrough and full shadow from another build's dist/src/cli/main.js
                       (same config, same run); with --freetext its full shadow
  --freetext           a 100 req/s prober alone, then beside a 60 KB free-text sender at 26 req/s (full shadow)
  --memory             full shadow through a memory cycle: idle, 256 connections, a 1,024 burst, idle, 256 again
                       (RSS of the process, threads included, sampled every 250 ms)
  --growth             CPU ms per request for 1, 10 and 100 KB bodies, passthrough and full shadow beside NGINX,
                       at --paced-rate (default 500) and saturated
  --growth-load L      paced | saturated | both (default both)
  --micro              run the engine micro-benchmarks (dist/bench/${MICRO_SCRIPTS.join('.js, ')}.js)
  --all                main table, micro, isolation, workers, paced, freetext, growth and memory (not soak)
  --node-args='A B'    extra Node/V8 flags for the shadowgate process only (e.g. '--max-semi-space-size=4'),
                       after the image's own (the Dockerfile's ENTRYPOINT flags and ENV, used by default)
  --profile            run shadowgate under --cpu-prof (the main-table cases, or the paced ones when the main
                       table does not run); .cpuprofile files in bench/results/, self time of the measured
                       load by origin and by function printed
  --out FILE           results JSON (default bench/results/<date>.json)
With no section flag the main table, paced and the micro-benchmarks run; with one, only the named sections
(add --only to also run main-table cases).`;

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    repeat: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '64' },
    upstream: { type: 'string' },
    isolation: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string' },
    workers: { type: 'boolean', default: false },
    paced: { type: 'boolean', default: false },
    'paced-rate': { type: 'string' },
    'paced-cases': { type: 'string' },
    before: { type: 'string' },
    freetext: { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    growth: { type: 'boolean', default: false },
    'growth-load': { type: 'string', default: 'both' },
    micro: { type: 'boolean', default: false },
    all: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'node-args': { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got "${text}"`);
  return n;
}

function machine(nginx: string | undefined): Record<string, unknown> {
  const cpu = cpus();
  let nginxVersion: string | undefined;
  if (nginx !== undefined) {
    try {
      nginxVersion = execFileSync(nginx, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || undefined;
    } catch (err) {
      nginxVersion = String((err as { stderr?: string }).stderr ?? '').trim() || undefined;
    }
  }
  return { cpu: cpu[0]?.model, cores: cpu.length, memoryBytes: totalmem(), node: process.version, nginx: nginxVersion };
}

/** The run with the median throughput (a failed run counts as the lowest); its own p99 etc. come along. */
function medianRun(runs: readonly CaseResult[]): CaseResult {
  const sorted = [...runs].sort((a, b) => (a.load?.rps ?? -1) - (b.load?.rps ?? -1));
  const failed = runs.find((r) => r.status === 'failed');
  // A case that failed in any round is reported as failed: the median would hide it.
  return failed ?? sorted[Math.floor((sorted.length - 1) / 2)] ?? { name: '?', group: 'direct', status: 'failed', reason: 'no run' };
}

async function main(): Promise<number> {
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const quick = args.quick;
  const nginx = findNginx();
  const upstreamKind = (args.upstream ?? (nginx !== undefined ? 'nginx' : 'node')) as UpstreamKind;
  if (upstreamKind !== 'node' && upstreamKind !== 'nginx') throw new Error(`--upstream expects node or nginx, got "${String(upstreamKind)}"`);
  if (upstreamKind === 'nginx' && nginx === undefined) throw new Error('--upstream nginx: nginx is not installed');
  const only = args.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !SUBJECTS.some((s) => s.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown case ${unknown.join(', ')} (known: ${SUBJECTS.map((s) => s.name).join(', ')})`);
  const opts: MeasureOptions = {
    durationS: positive('duration', args.duration, quick ? 1.5 : 10),
    warmupS: args.warmup === '0' ? 0 : positive('warmup', args.warmup, quick ? 0.3 : 3),
    connections: positive('connections', args.connections, 64),
  };
  const repeat = Math.round(positive('repeat', args.repeat, 1));
  if (args.before !== undefined && !existsSync(args.before)) throw new Error(`--before: ${args.before} does not exist (a built dist/src/cli/main.js)`);
  const sectionFlag = args.isolation || args.soak || args.workers || args.micro || args.paced || args.freetext || args.memory || args.growth;
  const run = {
    cases: args.all || !sectionFlag || only !== undefined,
    micro: args.all || args.micro || !sectionFlag,
    isolation: args.all || args.isolation,
    workers: args.all || args.workers,
    paced: args.all || args.paced || !sectionFlag,
    freetext: args.all || args.freetext,
    memory: args.all || args.memory,
    growth: args.all || args.growth,
    soak: args.soak,
  };

  mkdirSync(RESULTS_DIR, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'shadowgate-bench-'));
  const fleet = await startFleet(upstreamKind, { dir, nginx });
  // Profiles are written per case directory, one file per thread; an earlier run's must not be read as this one's.
  if (args.profile) for (const name of [...SUBJECTS.map((x) => x.name), 'shadowgate-passthrough-before', 'shadowgate-shadow-before']) rmSync(join(RESULTS_DIR, `${name}.profiles`), { recursive: true, force: true });
  let env: BenchEnv = { dir, nginx, upstreams: fleet.urls, connections: opts.connections, profileDir: args.profile ? RESULTS_DIR : undefined, workers: 1,
    nodeArgs: args['node-args']?.split(/\s+/).filter(Boolean) ?? [] };
  const started = new Date();
  const results: {
    date: string; machine: Record<string, unknown>; options: Record<string, unknown>;
    cases?: CaseResult[]; rounds?: CaseResult[][]; ratios?: ReturnType<typeof peerRatios>; micro?: MicroResult[];
    isolation?: { rate: number; rows: IsolationRow[] }; workers?: WorkersRow[]; soak?: SoakResult;
    paced?: { rate: number; rows: PacedRow[] }; freetext?: FreeTextResult; freetextBefore?: FreeTextResult; memory?: MemoryCycle; growth?: { rate: number; rows: GrowthRow[] }; loadAverage?: number[];
    profiles?: Record<string, HotSpot[]>; profileOrigins?: Record<string, OriginShare[]>; problems?: string[]; targets?: TargetRow[];
  } = { date: started.toISOString(), machine: machine(nginx), options: { ...opts, quick, upstream: upstreamKind, only, run } };
  const log = (text: string) => console.log(text);
  log(`# shadowgate bench ${results.date}\n\n${JSON.stringify(results.machine)}\nupstream: ${upstreamKind}; ${opts.connections} connections; ${opts.durationS} s a case after ${opts.warmupS} s warm-up; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);

  try {
    if (run.cases) {
      // Rounds interleave the cases so that a burst of CPU noise from elsewhere hits all of them alike.
      const subjects = SUBJECTS.filter((x) => only === undefined || only.includes(x.name));
      const rounds: CaseResult[][] = subjects.map(() => []);
      for (let r = 0; r < repeat; r++) {
        for (const [i, s] of subjects.entries()) {
          process.stderr.write(`… ${s.name}${repeat > 1 ? ` (round ${r + 1}/${repeat})` : ''}\n`);
          rounds[i]?.push(await measureCase(s, env, opts));
        }
      }
      const cases = rounds.map(medianRun);
      results.cases = cases;
      if (repeat > 1) results.rounds = rounds;
      results.ratios = peerRatios(cases);
      log(`## Throughput and latency\n\n${caseTable(cases)}\n\n## shadowgate against each peer\n\n${peerRatioTable(results.ratios)}\n`);
    }
    // Profiles belong to the main-table cases when it ran (the sections rerun the same subjects and would
    // overwrite them); without it, to the paced section: the live thread under a fixed offered rate.
    if (run.cases || !run.paced) env = { ...env, profileDir: undefined };
    if (run.micro) {
      results.micro = [];
      for (const name of MICRO_SCRIPTS) results.micro.push(await runMicro(name, quick));
      log(`## Micro-benchmarks\n\n${results.micro.map((m) => anonymizerTable(m) ?? `- ${m.name}: ${m.status} ${m.reason ?? JSON.stringify(m.result ?? m.output ?? '')}`).join('\n')}\n`);
    }
    if (run.isolation || run.soak) {
      const rate = args.rate !== undefined ? positive('rate', args.rate, 1) : await halfPassthroughRate(env, opts);
      if (run.isolation) {
        const rows = await isolation(env, { ...opts, overallRate: rate });
        results.isolation = { rate, rows };
        log(`## Isolation under load\n\n${isolationTable(rows, rate, args.rate !== undefined ? '--rate' : 'half the passthrough maximum')}\n`);
      }
      if (run.soak) {
        const minutes = positive('minutes', args.minutes, 5);
        results.soak = await soak(env, { minutes, rate, connections: opts.connections });
        const s = results.soak;
        log(`## Soak\n\n${minutes} min at ${rate} req/s, shadow on: ${s.result.status} ${s.result.reason ?? ''}; RSS MB every 10 s: ${s.samples.map((x) => (x.rssBytes / 1048576).toFixed(0)).join(' ')}; growth after ${s.warmupS} s warm-up (least-squares fit): ${s.growth === undefined ? 'n/a' : `${(s.growth * 100).toFixed(1)}%`}; ${s.result.load ? `p99 ${s.result.load.p99Ms} ms, ${s.result.load.errors} errors, ${s.result.load.non2xx} non-2xx, peak RSS ${((s.result.peakRssBytes ?? 0) / 1048576).toFixed(0)} MB, shadow calls/req ${shadowShare(s.result)}` : ''}\n`);
      }
    }
    if (run.workers) {
      results.workers = await workers(env, opts);
      log(`## Multi-core (server.workers × server.shadowThreads, saturated)\n\n${workersTable(results.workers)}\n`);
    }
    if (run.paced) {
      const rate = positive('paced-rate', args['paced-rate'], 2000);
      const cases = (args['paced-cases'] ?? 'passthrough,shadow').split(',').map((c) => c.trim());
      for (const c of cases) if (c !== 'passthrough' && c !== 'shadow') throw new Error(`--paced-cases expects passthrough and/or shadow, got "${c}"`);
      results.paced = { rate, rows: await paced(env, { ...opts, overallRate: rate, cases: new Set(cases), ...(args.before !== undefined ? { baselineMain: args.before } : {}) }) };
      env = { ...env, profileDir: undefined };
      log(`## Paced (fixed offered rate)\n\n${pacedTable(results.paced.rows, rate, opts.connections)}\n`);
    }
    if (run.freetext) {
      results.freetext = await freeText(env, { durationS: opts.durationS });
      log(`## 60 KB free text beside a 100 req/s prober (full shadow)\n\n${freeTextTable(results.freetext)}\n`);
      if (args.before !== undefined) {
        results.freetextBefore = await freeText(env, { durationS: opts.durationS, main: args.before });
        log(`The same with ${args.before}:\n\n${freeTextTable(results.freetextBefore)}\n`);
      }
    }
    if (run.growth) {
      const rate = positive('paced-rate', args['paced-rate'], 500);
      const which = args['growth-load'];
      if (which !== 'paced' && which !== 'saturated' && which !== 'both') throw new Error(`--growth-load expects paced, saturated or both, got "${which}"`);
      const loads: ('paced' | 'saturated')[] = which === 'both' ? ['paced', 'saturated'] : [which];
      results.growth = { rate, rows: await costGrowth(env, { ...opts, overallRate: rate, loads }) };
      log(`## Cost growth with body size\n\n${growthTable(results.growth.rows, rate)}\n`);
    }
    if (run.memory) {
      results.memory = await memoryCycle(env, { durationS: opts.durationS, ...(args.rate !== undefined ? { overallRate: positive('rate', args.rate, 1) } : {}) });
      log(`## Memory (full shadow${args.rate !== undefined ? `, paced at ${args.rate} req/s` : ""}): idle, 256, 1,024, back to 256\n\n${memoryCycleTable(results.memory)}\n`);
    }
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  if (args.profile) {
    results.profiles = {};
    results.profileOrigins = {};
    const profiled = [...SUBJECTS.filter((x) => x.group === 'shadowgate').map((x) => x.name), 'shadowgate-passthrough-before', 'shadowgate-shadow-before'];
    for (const name of profiled) {
      const { live, threads } = threadProfiles(join(RESULTS_DIR, `${name}.profiles`));
      if (live === undefined) continue;
      // The measured load alone (not start-up, warm-up or the drain), when the window was written.
      const windowFile = join(RESULTS_DIR, `${name}.window.json`);
      const window = existsSync(windowFile) ? JSON.parse(readFileSync(windowFile, 'utf8')) as ProfileWindow : undefined;
      const liveProfile = readProfile(live);
      // Each shadow thread's own profile, over the same measured window (moved onto its timeline).
      const parts: [string, string, CpuProfile, ProfileWindow | undefined][] = [[name, 'live thread', liveProfile, window]];
      for (const t of threads) {
        const p = readProfile(t.file);
        parts.push([`${name}.thread-${t.tid}`, `shadow thread ${t.tid}`, p, window && shiftWindow(window, liveProfile, p)]);
      }
      for (const [key, label, profile, w] of parts) {
        results.profiles[key] = hotSpots(profile, 25, undefined, w);
        results.profileOrigins[key] = selfTimeByOrigin(profile, w);
        const origins = results.profileOrigins[key]?.slice(0, 14).map((o) => `${o.origin} ${(o.share * 100).toFixed(1)}%`).join(' · ');
        log(`## Profile ${name}, ${label} (self time${w ? `, ${((w.toMs - w.fromMs) / 1000).toFixed(0)} s of measured load` : ''})\n\nby origin: ${origins}\n\n${results.profiles[key]?.map((h) => `- ${(h.share * 100).toFixed(1)}% ${h.functionName} ${h.file}:${h.line}`).join('\n')}\n`);
      }
    }
  }

  results.targets = targetRows({
    ...(results.paced ? { paced: results.paced.rows.map((r) => r.result) } : {}),
    ...(results.cases ? { cases: results.cases } : {}),
    ...(results.growth ? { growth: results.growth.rows } : {}),
  });
  if (results.targets.length > 0) log(`## Targets (issue 23), this run\n\n${targetTable(results.targets)}\n`);

  results.loadAverage = loadavg();
  log(`load average at the end: ${results.loadAverage.map((x) => x.toFixed(2)).join(' ')}`);
  const problems = quickProblems([...(results.cases ?? []), ...(results.workers?.map((w) => w.result) ?? []), ...(results.paced?.rows.map((r) => r.result) ?? [])]);
  problems.push(...(results.micro ?? []).filter((m) => m.status === 'failed').map((m) => `${m.name}: ${m.reason ?? 'failed'}`));
  results.problems = problems;
  const out = args.out ?? join(RESULTS_DIR, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${out}`);
  if (problems.length > 0) {
    console.error(`problems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    // A full run reports errors under load in its table; a quick run exists to catch them.
    if (quick) return 1;
  }
  const failed = [...(results.cases ?? [])].filter((c) => c.status === 'failed');
  return failed.length > 0 ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
