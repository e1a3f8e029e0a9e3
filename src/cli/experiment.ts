// `shadowgate experiment reproduce ID`: replays a concluded experiment from its lineage ledger and checks
// that it reaches the same verdict (docs/lineage.md). The ledger is verified first; then the experiment's
// `concluded` entry gives the configuration (path and digest), the policies (digests), the seeds, the
// dataset files (SHA-256) and the verdict with its evaluation. Anything that no longer matches refuses
// the reproduction with the reason; otherwise the datasets are replayed through the copy pipeline with the
// recorded seeds, the experiment's criteria are judged on the replay's report, and the verdicts compared.
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { experimentSeeds, policiesInUse } from '../app/experiment-lineage.js';
import { loadConfigFile } from '../config/load.js';
import type { Config, CriterionConfig } from '../config/schema.js';
import { fileDigest } from '../dataset/manifest.js';
import { replayDataset } from '../replay/replay.js';
import { ConfigError, ShadowgateError } from '../errors.js';
import { evaluate, type CriterionStatus, type Evaluation } from '../experiments/index.js';
import { ledgerVerifiers, parsePublicKey, type Verifier } from '../ledger/keys.js';
import { configDigest, headPath, type DatasetRef, type LedgerEntry, type PolicyRef } from '../ledger/ledger.js';
import { verifyLedger } from '../ledger/verify.js';
import { redactUrl } from '../state/redis.js';
import { packageVersion } from '../version.js';
import { flagProblem } from './flags.js';
import { DEFAULT_PREFIX, readLedgerStream } from './ledger.js';

export interface ExperimentIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const EXPERIMENT_USAGE = `usage: shadowgate experiment reproduce ID [--config FILE] [--ledger FILE | --redis URL [--prefix P]]
                                     [--public-key FILE]... [--dataset-dir DIR] [--rate RPS] [--concurrency N] [--json]

  reproduce ID        replays experiment ID's recorded datasets with its recorded configuration and seeds,
                      and checks that its criteria reach the verdict the ledger recorded
    -c, --config FILE   the configuration (default: the path the ledger recorded); its digest must match
    -l, --ledger FILE   the ledger (default: the configuration's ledger.path, or with ledger.stream: redis
                        the fleet's ledger stream at state.redis.url)
    --redis URL         read the fleet's ledger stream (ledger.stream: redis) from this Redis, no export needed
    --prefix P          its key prefix (default: the configuration's state.redis.keyPrefix, else shadowgate:)
    --public-key FILE   a PEM public key to verify the ledger with (repeat for rotated keys; default:
                        the public half of the configuration's ledger key and its previousPublicKeys)
    --dataset-dir DIR   look for the recorded dataset files in DIR (by name) instead of where they were
    --rate RPS          records per second (default: as fast as --concurrency allows)
    --concurrency N     records in flight at once (default 16)
    --json              print the result as JSON
  -h, --help          print this text

exit status: 0 same verdict, 1 a different verdict (the differences are listed), 2 refused (the ledger
does not verify, no concluded entry, the configuration, a policy or a dataset file changed) or usage error
`;

export const REPRODUCE_EXIT = { same: 0, different: 1, refused: 2 } as const;

function usage(message: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_USAGE', `experiment: ${message}`, 400);
}

/** A reason the reproduction cannot run (exit 2). */
class Refusal extends Error {}

interface Args {
  readonly id: string;
  readonly config?: string;
  readonly ledger?: string;
  readonly redis?: string;
  readonly prefix?: string;
  readonly publicKeys: readonly string[];
  readonly datasetDir?: string;
  readonly rate?: number;
  readonly concurrency?: number;
  readonly json: boolean;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw usage(`--${name} expects a positive number, got "${text}"`);
  return n;
}

function parse(argv: readonly string[]): Args {
  const options = {
    config: { type: 'string', short: 'c' }, ledger: { type: 'string', short: 'l' }, redis: { type: 'string' }, prefix: { type: 'string' }, 'public-key': { type: 'string', multiple: true },
    'dataset-dir': { type: 'string' }, rate: { type: 'string' }, concurrency: { type: 'string' }, json: { type: 'boolean', default: false },
  } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw usage(flagProblem(err, options));
  }
  const [sub, id, extra] = parsed.positionals;
  if (sub !== 'reproduce') throw usage(sub === undefined ? 'a subcommand is required (reproduce)' : `unknown subcommand "${sub}" (reproduce)`);
  if (id === undefined) throw usage('reproduce: the experiment ID is required');
  if (extra !== undefined) throw usage(`unexpected argument "${extra}"`);
  const v = parsed.values;
  if (v.config === undefined && v.ledger === undefined && v.redis === undefined) throw usage('reproduce: --config FILE, --ledger FILE or --redis URL is required');
  if (v.ledger !== undefined && v.redis !== undefined) throw usage('reproduce: --ledger FILE and --redis URL are two ledgers: give one');
  const concurrency = positive('concurrency', v.concurrency);
  if (concurrency !== undefined && !Number.isInteger(concurrency)) throw usage(`--concurrency expects a positive integer, got "${v.concurrency}"`);
  return {
    id, config: v.config, ledger: v.ledger, redis: v.redis, prefix: v.prefix, publicKeys: v['public-key'] ?? [], datasetDir: v['dataset-dir'],
    rate: positive('rate', v.rate), concurrency, json: v.json ?? false,
  };
}

interface RecordedTerms {
  readonly route: string;
  readonly criteria: CriterionConfig[];
  readonly minSamples: number | null;
  readonly hypothesis?: string;
}

type RecordedEvaluation = Pick<Evaluation, 'samples' | 'minSamples' | 'criteria' | 'reasons'> & { readonly outcome: string };

export interface ReproduceResult {
  readonly experiment: string;
  readonly same: boolean;
  readonly route: string;
  readonly hypothesis: string | null;
  /** What was checked before the replay, in order (each one passed). */
  readonly checks: readonly string[];
  readonly warnings: readonly string[];
  readonly recorded: RecordedEvaluation;
  readonly reproduced: Evaluation;
  readonly replay: { readonly sent: number; readonly failedCalls: number };
  /** Where the two evaluations differ: the outcome, then criterion by criterion. */
  readonly differences: readonly string[];
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Refusal(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function loadConfig(file: string): Config {
  try {
    return loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ShadowgateError) throw new Refusal(`the configuration ${file} cannot be loaded: ${err.message}`);
    throw err;
  }
}

const policyText = (p: readonly PolicyRef[]) => p.map((x) => `${x.name}@${x.digest}`).sort().join(', ') || 'none';

function criterionName(c: Pick<CriterionStatus, 'metric' | 'comparator' | 'threshold'>): string {
  return `${c.metric} ${c.comparator} ${c.threshold}`;
}

function criterionText(c: Pick<CriterionStatus, 'status' | 'value' | 'bounds' | 'n'>): string {
  const b = c.bounds === null ? 'no bounds' : `bounds [${c.bounds.low}, ${c.bounds.high ?? '∞'}]`;
  return `${c.status} (value ${c.value ?? '-'}, ${b}, n ${c.n ?? '-'})`;
}

/** The recorded and the reproduced evaluation, compared: the outcome first, then each criterion's status. */
function differencesOf(recorded: RecordedEvaluation, reproduced: Evaluation): string[] {
  const out: string[] = [];
  if (recorded.outcome !== reproduced.outcome) out.push(`verdict: recorded ${recorded.outcome}, reproduced ${reproduced.outcome}`);
  reproduced.criteria.forEach((c, i) => {
    const r = recorded.criteria[i];
    if (r !== undefined && r.status !== c.status) out.push(`criterion ${criterionName(c)}: recorded ${criterionText(r)}, reproduced ${criterionText(c)}`);
  });
  return out;
}

/** The experiment's last `concluded` entry in a verified ledger. */
function concludedEntry(text: string, id: string): LedgerEntry {
  let found: LedgerEntry | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as LedgerEntry;
    if (e.type === 'concluded' && e.experiment === id) found = e;
  }
  if (found === undefined) throw new Refusal(`the ledger has no concluded entry for experiment "${id}" (conclude it first; only concluded experiments can be reproduced)`);
  return found;
}

/**
 * The ledger's text and head: `--ledger FILE`; `--redis URL`, or a configuration whose ledger is the
 * fleet's stream (`ledger.stream: redis`), read from Redis directly; else the configuration's ledger.path.
 */
async function readLedger(args: Args, config: Config | undefined): Promise<{ text: string; head: string | undefined; where: string }> {
  const url = args.redis ?? (args.ledger === undefined && config?.ledger?.stream === 'redis' ? config.state.redis?.url : undefined);
  if (url !== undefined) {
    const prefix = args.prefix ?? config?.state.redis?.keyPrefix ?? DEFAULT_PREFIX;
    let read;
    try {
      read = await readLedgerStream(url, prefix);
    } catch (err) {
      throw new Refusal(`the fleet's ledger stream cannot be read: ${(err as Error).message}`);
    }
    const where = `${redactUrl(url)} ${prefix}ledger:chain`;
    if (read.entries === 0) throw new Refusal(`the fleet's ledger stream ${where} is empty (is --prefix right?)`);
    return { text: read.text, head: read.head, where };
  }
  const path = args.ledger ?? config?.ledger?.path;
  if (path === undefined) throw new Refusal(`the configuration ${args.config ?? ''} has no ledger section: give --ledger FILE or --redis URL`);
  return { text: await readText(path, 'ledger'), head: await readFile(headPath(path), 'utf8').catch(() => undefined), where: path };
}

export async function reproduceExperiment(args: Args, onWarning: (m: string) => void = () => undefined): Promise<ReproduceResult> {
  const checks: string[] = [];
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    onWarning(m);
  };
  let config = args.config === undefined ? undefined : loadConfig(args.config);

  // 1. The ledger, verified before anything in it is believed: a file, or the fleet's stream in Redis.
  let verifiers: Verifier[];
  if (args.publicKeys.length > 0) verifiers = await Promise.all(args.publicKeys.map(async (k) => parsePublicKey(await readText(k, 'public key'), k)));
  else verifiers = config?.ledger ? ledgerVerifiers(config.ledger) : [];
  const { text, head, where } = await readLedger(args, config);
  const verified = verifyLedger(text, { verifiers, head });
  if (!verified.ok) throw new Refusal(`the ledger does not verify: ${where}:${verified.line}: ${verified.reason}`);
  if (!verified.signaturesChecked) warn('the ledger\'s signatures are not checked (no public key: give --public-key, or --config with the ledger key)');
  checks.push(`ledger ${where} intact (${verified.entries} entries${verified.signaturesChecked ? ', signatures checked' : ''})`);

  // 2. The experiment's concluded entry.
  const entry = concludedEntry(text, args.id);
  const details = obj(entry.details) ?? {};
  const terms = obj(details.experiment) as RecordedTerms | undefined;
  const recorded = entry.verdict === undefined ? undefined : { verdict: entry.verdict.verdict, ...(obj(entry.verdict.evidence) ?? {}) } as unknown as RecordedEvaluation & { verdict: string };
  if (terms === undefined || !Array.isArray(terms.criteria) || recorded === undefined || !Array.isArray(recorded.criteria)) {
    throw new Refusal(`experiment "${args.id}"'s concluded entry (line ${entry.seq}) does not record its criteria and verdict (concluded by an older shadowgate)`);
  }
  const recordedEval: RecordedEvaluation = { ...recorded, outcome: recorded.verdict };
  if (entry.codeVersion !== packageVersion()) warn(`concluded under shadowgate ${entry.codeVersion}, reproduced with ${packageVersion()}`);

  // 3. The configuration: the one recorded (path), unchanged (digest).
  const configPath = args.config ?? (typeof details.configPath === 'string' ? details.configPath : undefined);
  if (configPath === undefined) throw new Refusal(`the concluded entry records no configuration path (a process started without a config file): give --config FILE`);
  config ??= loadConfig(configPath);
  const digest = configDigest(config);
  if (entry.configDigest !== undefined && digest !== entry.configDigest) {
    throw new Refusal(`the configuration changed: ${configPath} has digest ${digest}, the experiment concluded under ${entry.configDigest}`);
  }
  checks.push(`configuration ${configPath} unchanged (digest ${digest})`);

  // 4. The route's anonymization policies (their digests are the masking rules in force).
  const policies = policiesInUse(config, [terms.route]);
  if (entry.policies !== undefined && policyText(policies) !== policyText(entry.policies)) {
    throw new Refusal(`the route's anonymization policies changed: now ${policyText(policies)}, recorded ${policyText(entry.policies)}`);
  }
  checks.push(`policies ${policyText(policies)}`);

  // 5. The dataset files, each by its SHA-256.
  const datasets: readonly DatasetRef[] = entry.datasets ?? [];
  if (datasets.length === 0) {
    throw new Refusal(details.recording === true
      ? `experiment "${args.id}" recorded no dataset file: no record was written between its start and its conclusion`
      : `experiment "${args.id}" recorded no dataset file (record: must be configured while it runs)`);
  }
  const files: string[] = [];
  for (const d of datasets) {
    const file = args.datasetDir === undefined ? d.file : join(args.datasetDir, basename(d.file));
    let actual: { sha256: string; bytes: number };
    try {
      actual = await fileDigest(file);
    } catch (err) {
      throw new Refusal(`dataset file ${file} is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'}); the ledger records SHA-256 ${d.sha256}`);
    }
    if (actual.sha256 !== d.sha256) throw new Refusal(`dataset file ${file} changed: its SHA-256 ${actual.sha256} (${actual.bytes} bytes) does not match the ledger's ${d.sha256}${d.bytes === undefined ? '' : ` (${d.bytes} bytes)`}`);
    files.push(file);
  }
  checks.push(`${files.length} dataset ${files.length === 1 ? 'file matches its' : 'files match their'} SHA-256 (${datasets.reduce((n, d) => n + (d.records ?? 0), 0)} records)`);

  // 6. Replay with the recorded seeds, and judge the criteria on its report.
  const seeds = entry.seeds ?? {};
  const expected = experimentSeeds(terms.route);
  const compareSeed = typeof seeds.compare === 'number' ? seeds.compare : expected.compare;
  const orderSeed = typeof seeds.replayOrder === 'number' ? seeds.replayOrder : expected.replayOrder;
  const result = await replayDataset({
    config, datasets: files, route: terms.route, rate: args.rate, concurrency: args.concurrency, orderSeed, compareSeed,
    onWarning: warn, onIssue: (i) => warn(i.message),
  });
  const report = result.reports.find((r) => r.route === terms.route);
  const shadow = config.routes.find((r) => r.name === terms.route)?.shadow;
  const reproduced = evaluate({ criteria: terms.criteria, minSamples: terms.minSamples ?? undefined }, report, shadow === undefined ? undefined : 1 - shadow.compare.regression.alpha);
  if (recordedEval.samples !== reproduced.samples) warn(`the live evaluation counted ${recordedEval.samples} compared exchanges, the replay ${reproduced.samples} (the live window may hold exchanges from before the start, or the recording dropped some)`);
  const differences = differencesOf(recordedEval, reproduced);
  return {
    experiment: args.id, same: recordedEval.outcome === reproduced.outcome, route: terms.route, hypothesis: terms.hypothesis ?? null,
    checks, warnings, recorded: recordedEval, reproduced, replay: { sent: result.sent, failedCalls: result.failedCalls }, differences,
  };
}

function render(r: ReproduceResult): string {
  const lines = [`experiment ${r.experiment} (route ${r.route})${r.hypothesis === null ? '' : `: ${r.hypothesis}`}`];
  for (const c of r.checks) lines.push(`  ok  ${c}`);
  lines.push(`  replayed ${r.replay.sent} records${r.replay.failedCalls > 0 ? ` (${r.replay.failedCalls} calls failed)` : ''}`);
  r.reproduced.criteria.forEach((c, i) => {
    const rec = r.recorded.criteria[i];
    lines.push(`  ${criterionName(c)}: recorded ${rec === undefined ? '-' : criterionText(rec)}; reproduced ${criterionText(c)}`);
  });
  lines.push(r.same
    ? `same verdict: ${r.reproduced.outcome}${r.differences.length > 0 ? ` (criteria differ: ${r.differences.join('; ')})` : ''}`
    : `DIFFERENT verdict:\n${r.differences.map((d) => `  ${d}`).join('\n')}\n  reproduced reasons: ${r.reproduced.reasons.join('; ')}`);
  return `${lines.join('\n')}\n`;
}

export async function runExperimentCli(argv: string[], io: ExperimentIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(EXPERIMENT_USAGE);
    return 0;
  }
  const args = parse(argv);
  try {
    const result = await reproduceExperiment(args, (m) => io.stderr.write(`warning: ${m}\n`));
    io.stdout.write(args.json ? `${JSON.stringify({ ...result }, null, 2)}\n` : render(result));
    return result.same ? REPRODUCE_EXIT.same : REPRODUCE_EXIT.different;
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    if (args.json) io.stdout.write(`${JSON.stringify({ experiment: args.id, refused: err.message }, null, 2)}\n`);
    io.stderr.write(`shadowgate experiment reproduce: refused: ${err.message}\n`);
    return REPRODUCE_EXIT.refused;
  }
}
