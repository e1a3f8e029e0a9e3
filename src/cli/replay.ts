// `shadowgate replay`: a dataset through the comparison engine, as a CI gate. Prints the same report as
// /admin/report, a progress bar on a terminal, and exits 0 pass, 1 fail/marginal, 2 error, 130 on Ctrl-C.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { flagProblem } from './flags.js';
import { renderReport, type RouteReport } from '../compare/index.js';
import { slicesText } from '../quality/slices.js';
import { ConfigError, ShadowgateError } from '../errors.js';
import type { ReadIssue } from '../dataset/reader.js';
import { replayDataset, type ReplayProgress, type ReplayResult } from '../replay/replay.js';

export interface ReplayIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export const REPLAY_USAGE = `usage: shadowgate replay --config FILE --dataset PATH... [--route R] [--rate RPS]
                        [--concurrency N] [--out report.json] [--json] [--fail-on marginal|fail]

  --dataset PATH...   JSONL files (plain or gzip), directories or quoted globs ('data/*/shadow*.jsonl*'),
                      read in order and merged into one report (e.g. every replica's files)
  --route R           replay only this route's records
  --rate RPS          records per second (default: as fast as --concurrency allows)
  --concurrency N     records in flight at once (default 16)
  --out FILE          also write the JSON report to FILE
  --json              print the JSON report instead of the table
  --fail-on LEVEL     marginal (default): exit 1 on marginal or fail; fail: exit 1 on fail only

exit status: 0 pass, 1 fail (or marginal), 2 error or no verdict, 130 interrupted (partial report)
`;

export const EXIT = { pass: 0, gateFailed: 1, error: 2, interrupted: 130 } as const;

type Verdict = RouteReport['verdict'];
type FailOn = 'marginal' | 'fail';

export interface ReplayCliOptions {
  readonly config: string;
  readonly datasets: string[];
  readonly route?: string;
  readonly rate?: number;
  readonly concurrency?: number;
  readonly out?: string;
  readonly json: boolean;
  readonly failOn: FailOn;
}

function usage(message: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_USAGE', message, 400);
}

function positiveNumber(name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw usage(`--${name} expects a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return n;
}

export function parseReplayArgs(argv: readonly string[]): ReplayCliOptions {
  let parsed;
  const options = {
    config: { type: 'string', short: 'c' },
    dataset: { type: 'string', multiple: true, short: 'd' },
    route: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean', default: false },
    'fail-on': { type: 'string', default: 'marginal' },
  } as const;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (err) {
    throw usage(flagProblem(err, options));
  }
  const { values, positionals } = parsed;
  if (!values.config) throw usage('--config FILE is required');
  // `--dataset a.jsonl b.jsonl.gz`: paths after the flag arrive as positionals.
  const datasets = [...(values.dataset ?? []), ...positionals];
  if (datasets.length === 0) throw usage('--dataset PATH is required (one or more files or directories)');
  const failOn = values['fail-on'];
  if (failOn !== 'marginal' && failOn !== 'fail') throw usage(`--fail-on expects marginal or fail, got "${failOn}"`);
  return {
    config: values.config,
    datasets,
    route: values.route,
    rate: positiveNumber('rate', values.rate, false),
    concurrency: positiveNumber('concurrency', values.concurrency, true),
    out: values.out,
    json: values.json ?? false,
    failOn,
  };
}

const VERDICT_RANK: Readonly<Record<string, number>> = { pass: 0, marginal: 1, fail: 2 };

/** The gate: the worst route decides; a route without a pass/marginal/fail verdict cannot pass. */
export function exitCodeFor(reports: readonly RouteReport[], failOn: FailOn): number {
  if (reports.length === 0) return EXIT.error;
  let worst = 0;
  for (const r of reports) {
    const rank = VERDICT_RANK[r.verdict as string];
    if (rank === undefined) return EXIT.error;
    worst = Math.max(worst, rank);
  }
  if (worst === 2 || (worst === 1 && failOn === 'marginal')) return EXIT.gateFailed;
  return EXIT.pass;
}

function overallVerdict(reports: readonly RouteReport[]): Verdict | 'none' {
  let worst: Verdict | 'none' = 'none';
  for (const r of reports) {
    const rank = VERDICT_RANK[r.verdict as string] ?? 3;
    if (worst === 'none' || rank > (VERDICT_RANK[worst as string] ?? 3)) worst = r.verdict;
  }
  return worst;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** One redrawn stderr line: bar, percent of dataset bytes, records, rate and ETA. */
export function progressLine(p: ReplayProgress, elapsedMs: number, width = 24): string {
  const frac = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
  const filled = Math.round(frac * width);
  const rate = elapsedMs > 0 ? (p.sent * 1000) / elapsedMs : 0;
  const eta = frac > 0 ? ((elapsedMs / 1000) * (1 - frac)) / frac : Number.POSITIVE_INFINITY;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${p.sent} records  ${rate.toFixed(0)}/s  ETA ${formatSeconds(eta)}`;
}

const MAX_ISSUE_LINES = 20;

export async function runReplayCli(argv: string[], io: ReplayIo): Promise<number> {
  const ac = new AbortController();
  const onSigint = () => {
    io.stderr.write('\nshadowgate replay: interrupted; finishing requests in flight for a partial report (Ctrl-C again to quit)\n');
    ac.abort();
  };
  const tty = io.stderr.isTTY === true;
  let issues = 0;
  const onIssue = (issue: ReadIssue) => {
    // A damaged file can have thousands of bad lines: name the first ones, count the rest.
    if (++issues <= MAX_ISSUE_LINES) io.stderr.write(`${tty ? '\r\x1b[K' : ''}warning: ${issue.message}\n`);
  };
  const started = performance.now();
  let lastDraw = 0;
  const onProgress = (p: ReplayProgress) => {
    const t = performance.now();
    if (t - lastDraw < 100) return;
    lastDraw = t;
    io.stderr.write(`\r\x1b[K${progressLine(p, t - started)}`);
  };

  process.once('SIGINT', onSigint);
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(REPLAY_USAGE);
      return EXIT.pass;
    }
    const opts = parseReplayArgs(argv);
    const config = loadConfigFile(opts.config);
    const result = await replayDataset({
      config, datasets: opts.datasets, route: opts.route, rate: opts.rate, concurrency: opts.concurrency, signal: ac.signal,
      onIssue, onProgress: tty ? onProgress : undefined,
      onWarning: (m) => io.stderr.write(`${tty ? '\r\x1b[K' : ''}warning: ${m}\n`),
    });
    if (tty) io.stderr.write('\r\x1b[K');
    if (issues > MAX_ISSUE_LINES) io.stderr.write(`warning: ${issues - MAX_ISSUE_LINES} more unreadable lines skipped\n`);
    return await finish(result, opts, io, performance.now() - started);
  } catch (err) {
    if (tty) io.stderr.write('\r\x1b[K');
    if (err instanceof ConfigError) io.stderr.write(`${err.message}\n`);
    else if (err instanceof ShadowgateError) io.stderr.write(`shadowgate replay: ${err.message} (${err.code})\n${err.code === 'SG_ERR_USAGE' ? REPLAY_USAGE : ''}`);
    else io.stderr.write(`shadowgate replay: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

async function finish(result: ReplayResult, opts: ReplayCliOptions, io: ReplayIo, elapsedMs: number): Promise<number> {
  const verdict = overallVerdict(result.reports);
  const json = JSON.stringify({
    verdict,
    reports: result.reports,
    replay: { sent: result.sent, failedCalls: result.failedCalls, skipped: result.skipped, interrupted: result.interrupted },
  }, null, 2);
  if (opts.out !== undefined) await writeFile(opts.out, json + '\n');
  io.stdout.write(opts.json ? json + '\n' : renderReport(result.reports, { scope: 'dataset' }) + slicesText(result.reports));
  const s = result.skipped;
  const skipped = s.unknownRoute + s.notAnonymized + s.filtered + s.unreadable;
  io.stderr.write(`replayed ${result.sent} records in ${(elapsedMs / 1000).toFixed(1)}s`
    + `${result.failedCalls > 0 ? `, ${result.failedCalls} calls failed` : ''}`
    + `${skipped > 0 ? `, skipped ${s.unreadable} unreadable, ${s.notAnonymized} not anonymized, ${s.unknownRoute} of unknown routes, ${s.filtered} of other routes` : ''}`
    + `${s.rewriteError > 0 ? `, ${s.rewriteError} not sent (shadow.rewrite cannot apply)` : ''}`
    + `; verdict ${verdict}${result.interrupted ? ' (partial: interrupted)' : ''}\n`);
  // A route without a verdict says why on stderr too (with --json the table is not printed).
  for (const r of result.reports) {
    if (r.verdict !== 'insufficient data') continue;
    const why = r.window.reasons.find((x) => x.outcome === 'insufficient');
    io.stderr.write(`no verdict for route ${r.route}: ${why?.detail ?? 'too few observations'}\n`);
  }
  if (result.interrupted) return EXIT.interrupted;
  if (result.sent === 0) {
    io.stderr.write('shadowgate replay: no record was replayed; there is nothing to judge\n');
    return EXIT.error;
  }
  return exitCodeFor(result.reports, opts.failOn);
}
