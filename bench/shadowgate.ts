// shadowgate as a bench subject: writes the YAML for each case (passthrough, shadow to two targets,
// shadow with a baseline, canary at 10%), validates it with the real loader, starts `serve` in its own
// process and reads its event-loop delay and shadow counters from the admin /metrics.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import type { LoopDelay } from './child-ipc.js';
import { REQUEST_PATH } from './fixtures.js';
import { freePort, httpGet, retryOnPortRace, startProcess, waitAnswering, type Proc } from './procs.js';

export const SHADOWGATE_MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/**
 * How the image runs shadowgate (Dockerfile: the Node flags of its ENTRYPOINT and its ENV), so the bench
 * measures what ships (docs/memory.md). Empty when the Dockerfile is not beside the bench (an installed package).
 */
export function imageRuntime(dockerfile = fileURLToPath(new URL('../../Dockerfile', import.meta.url))): { nodeArgs: string[]; env: Record<string, string> } {
  if (!existsSync(dockerfile)) return { nodeArgs: [], env: {} };
  const text = readFileSync(dockerfile, 'utf8');
  const entry = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(text)?.[1];
  const argv = entry === undefined ? [] : (JSON.parse(entry) as string[]);
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^ENV\s+([A-Z_][A-Z0-9_]*)=(\S+)\s*$/gm)) if (m[1] !== 'NODE_ENV') env[m[1]!] = m[2]!;
  return { nodeArgs: argv.slice(1).filter((a) => a.startsWith('--')), env };
}

export function shadowgateBuilt(): boolean {
  return existsSync(SHADOWGATE_MAIN);
}

export type ShadowgateMode = 'passthrough' | 'shadow' | 'shadow-baseline' | 'canary10';
export type Upstreams = { incumbent: string; candidate: string; baseline: string };

/** The anonymization policy for the bench body: every personal field named, the rest scanned. */
const BENCH_POLICY = {
  headers: { keep: ['content-type', 'accept', 'user-agent'] },
  fields: {
    '$.user.id': 'pseudonym',
    '$.user.name': 'name',
    '$.user.email': 'email',
    '$.user.phone': 'phone',
    '$.user.dob': 'year',
    '$.user.address.street': 'redact',
    '$.user.address.postcode': 'redact',
    '$.payment.card': 'card',
    '$.client.ip': 'ip',
    '$.note': 'text',
  },
  unknown: 'scan',
};

export function shadowgateConfig(mode: ShadowgateMode, upstreams: Upstreams, ports: { server: number; admin: number }, dir: string, workers: number, legacy = false, shadowThreads?: number): Record<string, unknown> {
  const upstream = (url: string) => ({ url, timeout: '2s', connections: 64 });
  const route: Record<string, unknown> = { name: 'predict', match: { pathPrefix: REQUEST_PATH, methods: ['POST'] }, primary: 'incumbent' };
  if (mode === 'shadow' || mode === 'shadow-baseline') {
    route.shadow = {
      targets: ['incumbent', 'candidate'],
      ...(mode === 'shadow-baseline' ? { baseline: 'baseline' } : {}),
      // 100% of the traffic is offered: no rate cap, room for every copy in flight at 64 connections.
      sampleRate: 1,
      maxRps: 1_000_000,
      maxInFlight: 512,
      policy: 'bench',
      record: false,
      compare: { ignore: ['$.request_id', '$.model', '$.latency_ms'], tolerance: { '$.score': { abs: 0.01 } }, label: '$.prediction', scores: ['$.score'] },
    };
  }
  if (mode === 'canary10') route.canary = { upstream: 'candidate', weight: 10 };
  return {
    // A short drain keeps the bench moving; the exit it leads to is what lets --cpu-prof write its file.
    // The shadow threads at nice +10: the live thread wins the cores it shares with them (see README). A
    // build from before the threads (--before) knows no such key.
    server: { host: '127.0.0.1', port: ports.server, workers, drainTimeout: '1s', ...(legacy ? {} : { shadowThreadNice: 10 }), ...(shadowThreads !== undefined ? { shadowThreads } : {}) },
    admin: { host: '127.0.0.1', port: ports.admin, stateFile: join(dir, 'state.json'), auditFile: join(dir, 'audit.jsonl') },
    // Access logs off, as for every peer (nginx access_log off): the bench measures the proxy, not a disk.
    log: { level: 'warn', access: false },
    upstreams: { incumbent: upstream(upstreams.incumbent), candidate: upstream(upstreams.candidate), baseline: upstream(upstreams.baseline) },
    routes: [route],
    anonymize: { key: 'bench-only-key-5f1c0a7e9b2d4c6e8a0b1c2d3e4f5a6b', policies: { bench: BENCH_POLICY } },
  };
}

/** Whether another build (its dist/src/cli/main.js) knows server.shadowThreadNice (builds before the threads do not). */
function knowsThreadNice(main: string): boolean {
  try {
    return readFileSync(join(dirname(main), '..', 'config', 'schema.js'), 'utf8').includes('shadowThreadNice');
  } catch {
    return false;
  }
}

export type ShadowgateProc = Proc & { readonly url: string; readonly metricsUrl: string };

/** Write, validate and start one shadowgate; resolves once the primary port answers. */
export function startShadowgate(mode: ShadowgateMode, upstreams: Upstreams, dir: string, opts: { workers: number; nodeArgs: readonly string[]; name: string; main?: string; shadowThreads?: number }): Promise<ShadowgateProc> {
  return retryOnPortRace(() => startShadowgateOnce(mode, upstreams, dir, opts));
}

async function startShadowgateOnce(mode: ShadowgateMode, upstreams: Upstreams, dir: string, opts: { workers: number; nodeArgs: readonly string[]; name: string; main?: string; shadowThreads?: number }): Promise<ShadowgateProc> {
  const ports = { server: await freePort(), admin: await freePort() };
  const text = stringify(shadowgateConfig(mode, upstreams, ports, dir, opts.workers, opts.main !== undefined && !knowsThreadNice(opts.main), opts.shadowThreads));
  parseConfig(text); // a bench config mistake fails here, with the loader's path-and-line message
  const file = join(dir, `${opts.name}.yaml`);
  writeFileSync(file, text);
  const image = imageRuntime();
  const proc = startProcess(process.execPath, [...image.nodeArgs, ...opts.nodeArgs, opts.main ?? SHADOWGATE_MAIN, 'serve', '--config', file], 15_000, image.env);
  const url = `http://127.0.0.1:${ports.server}`;
  await waitAnswering(`${url}/`, proc);
  await waitAnswering(`http://127.0.0.1:${ports.admin}/healthz`, proc);
  return { ...proc, url, metricsUrl: `http://127.0.0.1:${ports.admin}/metrics` };
}

/** Sums of a metric family's samples in Prometheus text, grouped by one label ('' groups all). */
export function sumMetricBy(text: string, name: string, label: string): Map<string, number> {
  const sums = new Map<string, number>();
  const labelRe = new RegExp(`[{,]${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    const key = label === '' ? '' : (labelRe.exec(rest)?.[1] ?? '');
    sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return sums;
}

/** Sum of every sample of a metric family (all label sets). */
export function sumMetric(text: string, name: string): number {
  return sumMetricBy(text, name, '').get('') ?? 0;
}

export type ShadowgateCounters = {
  loopDelay: LoopDelay | undefined; shadowSent: number; comparisons: number;
  /** Shadow copies not sent, by reason (in_flight, overload, rate_limited, …). */
  dropped: Map<string, number>;
};

/**
 * Scrape the admin metrics. prom-client resets its event-loop histogram at each scrape, so a scrape
 * before the measured run and one after give the delay of that run alone.
 */
export async function scrapeShadowgate(metricsUrl: string): Promise<ShadowgateCounters> {
  const { status, body } = await httpGet(metricsUrl);
  if (status !== 200) throw new Error(`GET ${metricsUrl} answered ${status}`);
  const lag = (q: string) => sumMetric(body, `nodejs_eventloop_lag_${q}_seconds`) * 1000;
  const hasLag = body.includes('nodejs_eventloop_lag_p99_seconds');
  return {
    loopDelay: hasLag ? { p50Ms: lag('p50'), p99Ms: lag('p99'), maxMs: lag('max') } : undefined,
    shadowSent: sumMetric(body, 'shadowgate_shadow_requests_total'),
    dropped: sumMetricBy(body, 'shadowgate_shadow_dropped_total', 'reason'),
    comparisons: sumMetric(body, 'shadowgate_comparisons_total'),
  };
}
