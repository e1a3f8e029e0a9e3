// The full demo (`shadowgate demo`, `npm run demo`): three model servers in child processes, shadowgate
// in-process with config/demo.yaml, ~30 s of production-shaped traffic with a live progress line, then
// the report from the admin API and /metrics, a leak scan of the dataset, and its offline replay.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { startShadowgate, type StartedShadowgate } from '../app/app.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { renderReport, type RouteReport } from '../compare/index.js';
import { replayDataset } from '../replay/replay.js';
import { ShadowgateError } from '../errors.js';
import { modelServerScript, spawnDemoModel } from './child.js';
import { agreementLine, deservedLine, deservedReport } from './deserved.js';
import { startDemoModel } from './model-server.js';
import type { DemoModelOptions } from './models.js';
import { parsePromText, sumOf, type PromSample } from '../observe/prom-text.js';
import { anonymizationLines, canaryLines, headline, pickReport, progressLine } from './report.js';
import { chatLines, driveChat } from './llm.js';
import { adminClient, concludeExperiment, DEMO_EXPERIMENT, openExperiment } from './experiment.js';
import { createUsers } from './people.js';
import { PlantedScanner, driveTraffic, type DriveResult, type PlantedValue, type TrafficProgress } from './traffic.js';

export { parseDemoArgs, type DemoArgs } from './args.js';

/** DEMO ONLY: the admin token whose sha256 config/demo.yaml lists. Public on purpose. */
export const DEMO_ADMIN_TOKEN = 'demo-admin-token-not-a-secret';
const ROUTE = 'fraud';
const PATH = '/v1/predict';
const DEMO_LATENCY_MS = 8;

export interface DemoOptions {
  readonly durationMs: number;
  /** After the report, keep everything up (to browse /metrics and /admin/report) until Ctrl-C. */
  readonly keepRunning: boolean;
  readonly out: NodeJS.WritableStream;
  readonly seed?: number;
  /** Offered load (requests per second) and connections of the traffic driver. */
  readonly rps?: number;
  readonly concurrency?: number;
  /** Where the dataset, state and audit files go (default data/demo); emptied of demo files first. */
  readonly dataDir?: string;
  /** child: models in child processes (needs the compiled dist/); inline: in this process. Default: child when compiled. */
  readonly models?: 'child' | 'inline';
  readonly configPath?: string;
  /** Stops the demo early, as Ctrl-C does. */
  readonly signal?: AbortSignal;
  /** Run fraud-v2 as an experiment gating the rollout (default true); false starts the rollout at once. */
  readonly experiment?: boolean;
}

/** config/demo.yaml, found from this module whether it runs from src/ or from dist/src/. */
export function demoConfigPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'config', 'demo.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new ShadowgateError('SG_ERR_DEMO_CONFIG', 'config/demo.yaml not found next to the installed package', 500);
}

interface RunningModel {
  readonly url: string;
  readonly pid?: number;
  close(): Promise<void>;
}

/** Removes only the files a previous demo run left (state would otherwise resume its canary). */
function clearDemoFiles(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    if (/^(state\.json|audit\.jsonl|experiments\.json|ledger\.jsonl(\.head)?|shadow.*\.jsonl(\.gz)?(\.manifest\.json)?)$/.test(f)) rmSync(join(dir, f), { force: true });
  }
}

function datasetFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^shadow.*\.jsonl(\.gz)?$/.test(f)).sort().map((f) => join(dir, f));
}

async function adminGet(adminPort: number, path: string): Promise<{ status: number; text: string }> {
  const res = await request(`http://127.0.0.1:${adminPort}${path}`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` }, headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: res.statusCode, text: await res.body.text() };
}

interface DatasetSummary {
  readonly files: string[];
  readonly bytes: number;
  readonly records: number;
  readonly leaks: PlantedValue[];
}

/** Counts the records written and scans every line for the personal values the traffic carried. */
function scanDataset(dir: string, planted: readonly PlantedValue[]): DatasetSummary {
  const files = datasetFiles(dir).filter((f) => !f.endsWith('.gz'));
  const scanner = new PlantedScanner(planted);
  const leaks = new Set<PlantedValue>();
  let bytes = 0;
  let records = 0;
  for (const f of files) {
    const size = statSync(f).size;
    bytes += size;
    // The demo's files are bounded by record.maxFileBytes × keepFiles in demo.yaml (64 MB at most).
    const text = readFileSync(f, 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      records++;
      for (const v of scanner.scan(line, 10)) leaks.add(v);
    }
  }
  return { files, bytes, records, leaks: [...leaks] };
}

/** The demo's three models (the live run starts them; deserved.ts runs them offline). */
function demoModels(seed: number): Record<'incumbent' | 'candidate' | 'baseline', DemoModelOptions> {
  // The incumbents stamp served_at too, so the baseline sees it differ between two identical models
  // and the report calls it noise rather than a regression of the candidate.
  // 8 ms of service time: the candidate's extra 20% stays measurable above a busy laptop's scheduling noise.
  return {
    incumbent: { kind: 'incumbent', seed, servedAt: 'now', baseLatencyMs: DEMO_LATENCY_MS },
    candidate: { kind: 'candidate', seed, baseLatencyMs: DEMO_LATENCY_MS },
    baseline: { kind: 'incumbent', seed, servedAt: 'now', baseLatencyMs: DEMO_LATENCY_MS },
  };
}

async function startModels(mode: 'child' | 'inline', seed: number): Promise<{ incumbent: RunningModel; candidate: RunningModel; baseline: RunningModel }> {
  const start = (opts: DemoModelOptions): Promise<RunningModel> => (mode === 'child' ? spawnDemoModel(opts) : startDemoModel(opts));
  const m = demoModels(seed);
  const started = await Promise.allSettled([start(m.incumbent), start(m.candidate), start(m.baseline)]);
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((m) => m.close()));
    throw failed.reason;
  }
  return { incumbent: ok[0]!, candidate: ok[1]!, baseline: ok[2]! };
}

/** Runs the demo and returns its exit code: 0 done, 1 failed, 130 interrupted. */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out;
  const say = (...lines: string[]) => {
    for (const line of lines.length ? lines : ['']) out.write(`${line}\n`);
  };
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  const seed = opts.seed ?? 2026;
  const dataDir = resolve(opts.dataDir ?? 'data/demo');
  const mode = opts.models ?? (modelServerScript() !== undefined ? 'child' : 'inline');

  const interrupt = new AbortController();
  const pids: number[] = [];
  // First Ctrl-C: stop and clean up, printing what was measured. Second: leave now (children killed on exit).
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  const onOuterAbort = () => interrupt.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  process.on('SIGINT', onSigint);
  // If anything calls process.exit while the demo runs, its children still go.
  const killChildren = () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killChildren);

  let models: Awaited<ReturnType<typeof startModels>> | undefined;
  let gate: StartedShadowgate | undefined;
  try {
    clearDemoFiles(dataDir);
    say(`shadowgate demo: fraud-v1 (incumbent) vs fraud-v2 (candidate), ${Math.round(opts.durationMs / 1000)} s of traffic`);
    models = await startModels(mode, seed);
    for (const m of Object.values(models)) if (m.pid !== undefined) pids.push(m.pid);
    say(`  models (${mode === 'child' ? 'child processes' : 'in-process'}): incumbent ${models.incumbent.url}  candidate ${models.candidate.url}  baseline ${models.baseline.url}`);

    await warmUp([models.incumbent.url, models.candidate.url, models.baseline.url], seed);

    const configPath = opts.configPath ?? demoConfigPath();
    const config: Config = loadConfigFile(configPath, {
      env: {
        ...process.env,
        DEMO_INCUMBENT_URL: models.incumbent.url,
        DEMO_CANDIDATE_URL: models.candidate.url,
        DEMO_BASELINE_URL: models.baseline.url,
        DEMO_DATA_DIR: dataDir,
      },
    });
    gate = await startShadowgate(config, { configPath, port: 0, adminPort: 0, handleSignals: false });
    const app = gate.app;
    say(`  shadowgate: proxy http://127.0.0.1:${gate.port}${PATH}  admin http://127.0.0.1:${gate.adminPort}  (config ${configPath})`);
    say(`  console: ${consoleUrl(gate.adminPort)}  (sign in with the demo token ${DEMO_ADMIN_TOKEN})`);
    const admin = adminClient(gate.adminPort);
    const asExperiment = opts.experiment !== false;
    if (asExperiment) {
      say('', '== experiment (before any traffic) ==');
      for (const l of await openExperiment(admin, DEMO_ADMIN_TOKEN)) say(l);
    } else {
      const started = await admin('POST', `/admin/routes/${ROUTE}/resume`, DEMO_ADMIN_TOKEN);
      if (started.status !== 200) throw new ShadowgateError('SG_ERR_DEMO_START', `the rollout did not start: ${JSON.stringify(started.body)}`);
    }
    say('');

    let latest: PromSample[] = [];
    let pending = false;
    const onProgress = (p: TrafficProgress) => {
      if (pending) return;
      pending = true;
      void app.metrics.registry.metrics().then((text) => {
        latest = parsePromText(text);
        const line = progressLine(ROUTE, p, latest);
        out.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      }).finally(() => {
        pending = false;
      });
    };
    // The experiment concludes once its evidence decides (or at 60% of the run); then the gate opens or is overridden.
    const conclusion = asExperiment
      ? concludeExperiment(admin, DEMO_ADMIN_TOKEN, { startedAt: Date.now(), deadlineMs: opts.durationMs * 0.6, signal: interrupt.signal })
      : Promise.resolve(undefined);
    conclusion.catch(() => undefined); // awaited after the traffic; a failure is reported there
    // A few streaming chat conversations run beside the scoring traffic (route chat).
    const chat = driveChat({ url: `http://127.0.0.1:${gate.port}`, durationMs: opts.durationMs, concurrency: 2, people: createUsers(seed + 7, 50), signal: interrupt.signal });
    const traffic: DriveResult = await driveTraffic({
      url: `http://127.0.0.1:${gate.port}`, path: PATH, durationMs: opts.durationMs, concurrency: opts.concurrency ?? 16,
      rps: opts.rps ?? 200, seed, userHeader: 'x-user-id', onProgress, progressIntervalMs: tty ? 500 : 5000, signal: interrupt.signal,
    });
    const chatted = await chat;
    const concluded = await conclusion;
    if (tty) say();
    const interrupted = interrupt.signal.aborted;
    say(`  traffic: ${traffic.completed} answered in ${(traffic.durationMs / 1000).toFixed(1)} s (${traffic.rps.toFixed(0)} req/s), statuses ${Object.entries(traffic.byStatus).map(([k, v]) => `${k}:${v}`).join(' ') || '-'}${Object.keys(traffic.errors).length ? `, failed ${JSON.stringify(traffic.errors)}` : ''}, client p50 ${traffic.latencyMs.p50} ms p99 ${traffic.latencyMs.p99} ms`);

    await settleShadow(app.metrics.registry.metrics.bind(app.metrics.registry), 30_000);

    // What an operator sees: the admin API and the scrape endpoint.
    let report: RouteReport | undefined;
    let chatReport: Parameters<typeof chatLines>[0];
    let routesBody: unknown;
    let samples: PromSample[] = latest;
    const unwired: string[] = [];
    try {
      const r = await adminGet(gate.adminPort, `/admin/report?route=${ROUTE}`);
      if (r.status === 200) report = pickReport(JSON.parse(r.text), ROUTE);
      else unwired.push(`/admin/report answered ${r.status}`);
      const c = await adminGet(gate.adminPort, '/admin/report?route=chat');
      if (c.status === 200) chatReport = (JSON.parse(c.text) as { streams?: Parameters<typeof chatLines>[0] }).streams;
      const routes = await adminGet(gate.adminPort, '/admin/routes');
      if (routes.status === 200) routesBody = JSON.parse(routes.text);
      else unwired.push(`/admin/routes answered ${routes.status}`);
      const m = await adminGet(gate.adminPort, '/metrics');
      if (m.status === 200) samples = parsePromText(m.text);
      else unwired.push(`/metrics answered ${m.status}`);
    } catch (err) {
      unwired.push(`admin API unreachable (${(err as { code?: string }).code ?? (err as Error).message})`);
      samples = parsePromText(await app.metrics.registry.metrics());
    }

    if (concluded !== undefined) {
      say('', `== experiment ${DEMO_EXPERIMENT}: conclusion ==`);
      for (const l of concluded.lines) say(l);
    }
    say('', '== comparison (live shadow, /admin/report) ==');
    const compareCfg = config.routes.find((r) => r.name === ROUTE)?.shadow?.compare;
    const deserved = compareCfg === undefined ? undefined : deservedReport(ROUTE, compareCfg, demoModels(seed), seed);
    if (deserved) say(deservedLine('fraud-v2', deserved));
    if (report) {
      for (const l of headline(report)) say(l);
      say('');
      say(renderReport([report], { color: tty }).replace(/\n+$/, ''));
    } else {
      say('  no report for the route' + (unwired.length ? ` (${unwired.join('; ')})` : ''));
    }
    say('', `== streaming chat (route chat, ${chatted.completed} conversations${chatted.failed ? `, ${chatted.failed} failed` : ''}) ==`);
    for (const l of chatLines(chatReport)) say(l);
    say('', '== canary ==');
    for (const l of canaryLines(ROUTE, routesBody, samples)) say(l);
    say('', '== anonymization ==');
    for (const l of anonymizationLines(ROUTE, samples)) say(l);

    if (opts.keepRunning) {
      // The proxy stays up to be browsed: let the writer's next batch reach the file instead of closing it.
      await new Promise((done) => setTimeout(done, (config.record?.flushInterval ?? 200) * 2 + 100));
    } else {
      // Closing flushes and fsyncs the dataset before it is read.
      await gate.close();
      gate = undefined;
    }
    const ds = scanDataset(dataDir, traffic.planted);
    say('', '== dataset ==');
    say(`  ${ds.records} records, ${(ds.bytes / 1024).toFixed(0)} KB in ${ds.files.length} file(s): ${ds.files.join(', ') || 'none'}`);
    say(`  recorded dropped: ${sumOf(samples, 'shadowgate_dataset_records_dropped_total')}`);
    say(`  personal values planted in the traffic: ${traffic.planted.length}; found in the dataset: ${ds.leaks.length}${ds.leaks.length ? ` (${ds.leaks.slice(0, 5).map((l) => l.kind).join(', ')}…)` : ''}`);

    let replayVerdict: string | undefined;
    if (!interrupted && ds.records > 0) {
      say('', '== offline replay of the dataset ==');
      // Few records in flight, as live traffic had: latency is compared under similar load, not a flood.
      const result = await replayDataset({ config, datasets: ds.files, concurrency: 8, signal: interrupt.signal });
      const replayed = result.reports.find((r) => r.route === ROUTE);
      replayVerdict = replayed?.verdict;
      say(`  replayed ${result.sent} records (${result.failedCalls} failed calls, ${result.skipped.unreadable} unreadable lines)`);
      if (replayed) for (const l of headline(replayed, 'dataset')) say(l);
      if (deserved) say(agreementLine(deserved, report, replayed));
      else say(`  live verdict ${report?.verdict ?? '-'}, replay verdict ${replayVerdict ?? '-'}: ${report !== undefined && report.verdict === replayVerdict ? 'the same' : 'DIFFERENT'}`);
    }
    if (unwired.length > 0) say('', `  not available: ${unwired.join('; ')}`);

    if (gate && !interrupt.signal.aborted) {
      say('', `still running (Ctrl-C to stop): proxy http://127.0.0.1:${gate.port}${PATH}  metrics http://127.0.0.1:${gate.adminPort}/metrics`);
      say(`  console ${consoleUrl(gate.adminPort)}  token ${DEMO_ADMIN_TOKEN}`);
      say(`  curl -H 'authorization: Bearer ${DEMO_ADMIN_TOKEN}' http://127.0.0.1:${gate.adminPort}/admin/report`);
      say('  the CLI clients, from another shell:');
      say(`    export SHADOWGATE_ADMIN_URL=http://127.0.0.1:${gate.adminPort} SHADOWGATE_TOKEN=${DEMO_ADMIN_TOKEN}`);
      say(`    shadowgate report ${ROUTE}; shadowgate canary status; shadowgate canary set ${ROUTE} 10`);
      if (models !== undefined) {
        say('  replay the recorded dataset against the running demo models:');
        say(`    DEMO_INCUMBENT_URL=${models.incumbent.url} DEMO_CANDIDATE_URL=${models.candidate.url} DEMO_BASELINE_URL=${models.baseline.url} \\`);
        say(`    shadowgate replay --config ${configPath} --dataset '${join(dataDir, 'shadow*.jsonl*')}'`);
        if (concluded !== undefined) {
          say(`  reproduce the experiment from its ledger entry (same models, same configuration digest):`);
          say(`    DEMO_DATA_DIR=${dataDir} DEMO_INCUMBENT_URL=${models.incumbent.url} DEMO_CANDIDATE_URL=${models.candidate.url} DEMO_BASELINE_URL=${models.baseline.url} \\`);
          say(`    shadowgate experiment reproduce ${DEMO_EXPERIMENT} --config ${configPath}`);
        }
      }
      await new Promise<void>((done) => interrupt.signal.addEventListener('abort', () => done(), { once: true }));
    }
    say('', interrupted ? 'demo interrupted' : 'demo done');
    return interrupted ? 130 : 0;
  } catch (err) {
    const e = err instanceof ShadowgateError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    say(`demo failed: ${e}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await gate?.close().catch(() => undefined);
    if (models) await Promise.all(Object.values(models).map((m) => m.close().catch(() => undefined)));
    process.off('exit', killChildren);
  }
}

/** The operator console on the admin port (src/console, served at /ui). */
function consoleUrl(adminPort: number): string {
  return `http://127.0.0.1:${adminPort}/ui`;
}

/** A short burst straight at each model, so their first cold calls do not weigh on the comparison. */
async function warmUp(urls: readonly string[], seed: number): Promise<void> {
  await Promise.all(urls.map((url) => driveTraffic({ url, path: PATH, durationMs: 300, concurrency: 4, seed: seed + 1 })));
}

/** Waits (bounded) until no shadow copy is in flight, so the report counts the last requests too. */
async function settleShadow(metricsText: () => Promise<string>, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    if (sumOf(parsePromText(await metricsText()), 'shadowgate_shadow_in_flight') === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
