// What an experiment's ledger entries hold so that `shadowgate experiment reproduce` can replay it
// (docs/lineage.md): when it starts, the dataset file in progress is cut, so its data begins at a file
// boundary; when it concludes, the file is cut again, and the `concluded` entry names the files sealed in
// between (with their SHA-256), the configuration's path (its digest is the entry's configDigest), the
// policies, the seeds, the experiment's criteria, and the verdict with its evaluation. Under
// `server.workers` the primary holds the experiments and writes this ledger: it asks its workers to cut
// (the `cut` fleet query), and each worker forwards the `dataset.rotated` entry of every file it seals
// (`forwardSealed` → `LineageLedger.receive`), so the primary's ledger names every worker's files. In a
// Redis fleet (`ledger.stream: redis`) the replica that starts or concludes it asks every other replica to
// cut (fleet-cut.ts), so the `concluded` entry names every replica's files.
import type { Worker } from 'node:cluster';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { createAnonymizer } from '../anonymize/index.js';
import type { Config } from '../config/schema.js';
import type { Experiment } from '../experiments/index.js';
import { seedOf } from '../kernel/hash.js';
import { redisClass } from '../state/redis.js';
import type { Signer } from '../ledger/keys.js';
import { configDigest, Ledger, policyRef, type DatasetRef, type EntryInput, type EntryType, type LedgerEntry, type PolicyRef } from '../ledger/ledger.js';
import { LedgerStream } from '../ledger/stream.js';
import { FleetCuts, type CutAnswer, type CutRequest, type FleetCutResult } from './fleet-cut.js';
import type { AuditSink } from '../state/backend.js';

/** How often the judge chains what replicas forwarded to the fleet's ledger stream. */
const PUMP_MS = 250;


/** The seed replay orders each record's target calls with (replayDataset's default). */
export const REPLAY_ORDER_SEED = 1;

/** The anonymization policies a configuration's routes use (all routes, or the named ones), as ledger references. */
export function policiesInUse(config: Config, routes?: readonly string[]): PolicyRef[] {
  const inUse = config.routes
    .filter((r) => routes === undefined || routes.includes(r.name))
    .flatMap((r) => (r.shadow?.policy && r.shadow.policy !== 'none' ? [r.shadow.policy] : []));
  const anonymizer = createAnonymizer(config.anonymize, inUse);
  return [...new Set(inUse)].flatMap((n) => {
    const p = anonymizer.policy(n);
    return p ? [policyRef(p.id)] : [];
  });
}

/** The seeds a route's comparison and its replay use: the comparer's reservoir seed and replay's target order. */
export function experimentSeeds(route: string): Record<string, number> {
  return { compare: seedOf(route), replayOrder: REPLAY_ORDER_SEED };
}

/** The experiment as a reproduction needs it: what is judged, and how. */
export function experimentTerms(e: Experiment): Record<string, unknown> {
  return {
    route: e.route, candidate: e.candidate ?? null, hypothesis: e.hypothesis, criteria: e.criteria,
    minSamples: e.minSamples ?? null, owner: e.owner, privacyRiskAssessment: e.privacyRiskAssessment,
  };
}

/**
 * The dataset files sealed after an experiment started, from the ledger file itself: after `afterSeq` (the
 * ledger's position once the start's cut was sealed, known to the process that started it), else after the
 * experiment's last `started` entry in the file. When neither is known (`ledger.stream: redis` sends
 * experiment entries to the fleet's stream, and the process restarted since), the files holding a record
 * from `startedAt` on (their manifest's time range).
 */
export async function datasetsSinceStart(ledgerPath: string, id: string, startedAt?: string, afterSeq?: number): Promise<DatasetRef[]> {
  let text = '';
  try {
    text = await readFile(ledgerPath, 'utf8');
  } catch {
    return [];
  }
  let out: DatasetRef[] = [];
  let marked = afterSeq !== undefined;
  const byTime: DatasetRef[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let e: LedgerEntry;
    try {
      e = JSON.parse(line) as LedgerEntry;
    } catch {
      continue;
    }
    if (afterSeq !== undefined && e.seq <= afterSeq) continue;
    if (e.type === 'started' && e.experiment === id && afterSeq === undefined) {
      out = [];
      marked = true;
    } else if (e.type === 'dataset.rotated') {
      out.push(...(e.datasets ?? []));
      const to = (e.details?.timeRange as { to?: unknown } | undefined)?.to;
      if (startedAt !== undefined && typeof to === 'string' && to >= startedAt) byTime.push(...(e.datasets ?? []));
    }
  }
  return marked || startedAt === undefined ? out : byTime;
}

/**
 * What cuts the dataset files in progress and resolves once they are sealed (their `dataset.rotated`
 * entries appended): a process's own writer, or, for a cluster primary, its workers' writers.
 */
export interface Recorder {
  cut(): Promise<unknown>;
}

export interface LineageSources {
  readonly config: () => Config;
  readonly configPath: string | undefined;
  /** The recording in force (undefined: `record:` is off). */
  readonly recorder: () => Recorder | undefined;
  readonly experiment: (id: string) => Experiment | undefined;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** What a cluster worker sends its primary for each dataset file it sealed. */
interface SealedMessage {
  readonly sg: 'lineage';
  readonly entry: EntryInput;
}

/** A cluster worker: hands the `dataset.rotated` entry of a file it sealed to its primary's ledger. */
export function forwardSealed(entry: EntryInput): void {
  const m: SealedMessage = { sg: 'lineage', entry };
  if (process.connected) process.send?.(m);
}

/** Experiment actions and the ledger entry each one becomes (lineage: who moved an experiment, and overrides). */
const LEDGER_OF_ACTION: Readonly<Record<string, EntryType>> = {
  'experiment.propose': 'created', 'experiment.approve': 'approved', 'experiment.start': 'started',
  'experiment.conclude': 'concluded', 'experiment.override': 'overridden',
};

/**
 * The lineage ledger of the process that holds the experiments (a single process, or a cluster primary)
 * or of a cluster worker (its own `.w<id>` file, dataset entries only): the file (config `ledger:`), the
 * fleet's stream beside it (`ledger.stream: redis`), `config.loaded` on every configuration, and the admin
 * API's audit sink that appends each experiment transition with what a reproduction needs.
 */
export class LineageLedger {
  private file: { key: string; ledger: Ledger } | undefined;
  private stream: OpenStream | undefined;
  /** Where each experiment started in this process's ledger file (its seq once the start's cut was sealed). */
  private readonly starts = new Map<string, number>();
  /** The experiments and the recording, once the admin API's sink is built (a fleet's cut requests need them). */
  private src: LineageSources | undefined;

  /**
   * `experiments: false`: a cluster worker, whose experiment entries the primary writes (no stream of its
   * own). `fleet`: this process's name in a Redis fleet, and the replicas it knows are alive (their
   * evidence is fresh), so that one that does not answer a cut request is named.
   */
  constructor(private readonly log: Logger, private readonly isJudge: () => boolean, private readonly experiments = true, private readonly fleet: FleetMembership = LOCAL) {}

  private replica(): string {
    return this.fleet.replica();
  }

  /** The ledger file (the dataset writer signs manifests with its key and appends `dataset.rotated` to it). */
  get ledger(): Ledger | undefined {
    return this.file?.ledger;
  }

  /** Opens (or keeps) the ledger file at `path` (default `ledger.path`) and the stream, and appends `config.loaded`. */
  apply(config: Config, configPath: string | undefined, path?: string): void {
    const cfg = config.ledger;
    const key = cfg ? JSON.stringify([cfg, path]) : undefined;
    if (this.file?.key !== key) {
      const old = this.file?.ledger;
      this.file = cfg ? { key: key!, ledger: Ledger.fromConfig(cfg, path ?? cfg.path) } : undefined;
      void old?.close();
    }
    if (this.stream?.key !== (cfg?.stream === 'redis' && this.experiments ? JSON.stringify([cfg, config.state.redis]) : undefined)) {
      this.stream?.close();
      this.stream = this.file === undefined || !this.experiments ? undefined
        : openLedgerStream(config, this.file.ledger.signer, this.isJudge, (err) => this.log.error({ err: errorText(err) }, 'ledger stream append failed'),
          { replica: () => this.replica(), answer: (req) => this.answerCut(req) });
    }
    this.append({ type: 'config.loaded', configDigest: configDigest(config), policies: policiesInUse(config), details: { configPath } });
  }

  /**
   * A cluster primary: the `dataset.rotated` entries its worker forwards (`forwardSealed`) go to this
   * ledger, in the order they arrive (IPC keeps a worker's order: its seals before its answer to `cut`).
   */
  receive(worker: Worker): void {
    worker.on('message', (m: unknown) => {
      const msg = m as Partial<SealedMessage> | null;
      if (typeof msg !== 'object' || msg === null || msg.sg !== 'lineage' || msg.entry?.type !== 'dataset.rotated') return;
      this.append({ ...msg.entry, details: { ...msg.entry.details, worker: worker.id } });
    });
  }

  /** Appends to the ledger file (a failure is logged: lineage never stops traffic). */
  append(input: EntryInput): void {
    this.file?.ledger.append(input).catch((err: unknown) => this.log.error({ err: errorText(err) }, 'ledger append failed'));
  }

  /**
   * The admin API's audit sink, with every accepted experiment transition and gate override also appended
   * to the ledger (the fleet's stream when there is one), so the ledger holds the experiment's whole story.
   */
  audit(sink: AuditSink, src: LineageSources): AuditSink {
    this.src = src;
    return {
      latest: (limit) => sink.latest(limit),
      append: async (rec) => {
        await sink.append(rec);
        const type = LEDGER_OF_ACTION[rec.action];
        const l = this.stream?.stream ?? this.file?.ledger;
        if (type === undefined || l === undefined || rec.result !== 'ok') return;
        const after = rec.after as { id?: unknown } | null | undefined;
        const before = rec.before as { id?: unknown } | null | undefined;
        const id = typeof after?.id === 'string' ? after.id : typeof before?.id === 'string' ? before.id : undefined;
        const extra: Partial<EntryInput> = await this.lineage(type, id, src).catch((err: unknown) => {
          this.log.error({ err: errorText(err) }, 'experiment lineage could not be gathered');
          return {};
        });
        await l.append({
          type, configDigest: configDigest(src.config()), ...(id !== undefined ? { experiment: id } : {}), ...extra,
          details: { by: rec.token, role: rec.role, route: rec.route, ...(rec.reason !== undefined ? { reason: rec.reason } : {}), summary: rec.summary ?? null, ...extra.details },
        }).catch((err: unknown) => this.log.error({ err: errorText(err) }, 'ledger append failed'));
      },
    };
  }

  /**
   * What an experiment's entry of `type` adds to the ledger beyond who and when; cuts the dataset files
   * first for `started` and `concluded`. Resolves after the cut files are sealed (their entries appended).
   */
  private async lineage(type: EntryType, id: string | undefined, src: LineageSources): Promise<Partial<EntryInput>> {
    if (id === undefined || (type !== 'started' && type !== 'concluded')) return {};
    const e = src.experiment(id);
    if (e === undefined) return {};
    const startedAt = type === 'concluded' ? [...e.history].reverse().find((h) => h.action === 'start')?.at : undefined;
    const own = await this.cutOwn({ type, experiment: id, ...(startedAt !== undefined ? { startedAt } : {}) });
    // A Redis fleet: every other replica cuts too, and its files' entries reach the inbox before this one.
    const fleet = await this.stream?.cuts?.request(type, id, startedAt, src.config().ledger?.cutTimeout ?? 30_000, this.fleet.peers());
    const config = src.config();
    const base = { policies: policiesInUse(config, [e.route]), seeds: experimentSeeds(e.route) };
    const recording = own.recording;
    const fleetDetails = fleet === undefined ? {} : { fleet: fleetSummary(this.replica(), own, fleet) };
    if (type === 'started') return { ...base, details: { configPath: src.configPath ?? null, recording, ...fleetDetails } };
    const datasets = [...own.datasets, ...(fleet?.answered.flatMap((a) => a.datasets) ?? [])];
    const c = e.conclusion;
    return {
      ...base,
      datasets,
      ...(c === null ? {} : {
        verdict: {
          verdict: c.outcome,
          evidence: { samples: c.samples, minSamples: c.minSamples, minSamplesFrom: c.minSamplesFrom, criteria: c.criteria, reasons: c.reasons },
        },
      }),
      details: { configPath: src.configPath ?? null, recording, experiment: experimentTerms(e), ...fleetDetails },
    };
  }

  /**
   * Cuts this process's recording (its own writer, or a cluster primary's workers'): at a start, marks where
   * the experiment's files begin; at a conclusion, the files sealed since (with a fleet's stream, their
   * `dataset.rotated` entry forwarded to its inbox, so the chain names them before `concluded`).
   */
  private async cutOwn(req: Pick<CutRequest, 'type' | 'experiment' | 'startedAt'>): Promise<Omit<CutAnswer, 'replica'>> {
    const recorder = this.src?.recorder();
    await recorder?.cut();
    const recording = recorder !== undefined;
    const ledger = this.file?.ledger;
    const at = await ledger?.position();
    if (req.type === 'started') {
      if (at !== undefined) this.starts.set(req.experiment, at);
      return { recording, datasets: [] };
    }
    const datasets = ledger === undefined ? [] : await datasetsSinceStart(ledger.path, req.experiment, req.startedAt, this.starts.get(req.experiment));
    if (datasets.length > 0 && this.stream !== undefined) {
      await this.stream.stream.append({ type: 'dataset.rotated', experiment: req.experiment, datasets, details: { replica: this.replica(), cut: 'concluded' } });
    }
    return { recording, datasets };
  }

  /** Another replica of the fleet started or concluded an experiment: cut, and answer with the files. */
  private answerCut(req: CutRequest): Promise<Omit<CutAnswer, 'replica'>> {
    return this.cutOwn(req);
  }

  async close(): Promise<void> {
    this.stream?.close();
    await this.file?.ledger.close();
  }
}

/** The fleet's ledger stream of a configuration (`ledger.stream: redis`), pumped by this replica while it judges. */
export interface OpenStream {
  readonly key: string;
  readonly stream: LedgerStream;
  /** The fleet's cut requests (this replica asks, and answers the others'). */
  readonly cuts?: FleetCuts;
  close(): void;
}

/** A process's place in a Redis fleet: its name, and the other replicas whose evidence is fresh. */
export interface FleetMembership {
  replica(): string;
  peers(): string[];
}

const LOCAL: FleetMembership = { replica: () => 'local', peers: () => [] };

/** The replicas of a fleet named in fresh evidence snapshots (a cluster primary's workers as their host's replica). */
export function peersOf(snapshots: readonly { readonly replica: string }[], me: string): string[] {
  return [...new Set(snapshots.map((s) => s.replica.split('>')[0]!))].filter((r) => r !== me);
}

/** What a replica does when another replica of the fleet asks it to cut (FleetCuts). */
export interface CutPeer {
  readonly replica: () => string;
  readonly answer: (req: CutRequest) => Promise<Omit<CutAnswer, 'replica'>>;
}

/** The `details.fleet` of a start or conclusion: who cut, who was too late, how many never answered. */
function fleetSummary(me: string, own: Omit<CutAnswer, 'replica'>, fleet: FleetCutResult): Record<string, unknown> {
  const files = (a: Omit<CutAnswer, 'replica'>) => a.datasets.length;
  return {
    replicas: [{ replica: me, recording: own.recording, files: files(own) }, ...fleet.answered.map((a) => ({ replica: a.replica, recording: a.recording, files: files(a) }))],
    missing: fleet.missing,
    unanswered: fleet.unanswered,
  };
}

export function openLedgerStream(config: Config, signer: Signer, isJudge: () => boolean, onError: (err: unknown) => void, peer?: CutPeer): OpenStream | undefined {
  const redis = config.state.redis;
  if (config.ledger?.stream !== 'redis' || redis === undefined) return undefined;
  const Redis = redisClass(); // loaded here, not at import (docs/memory.md)
  const conn = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1, commandTimeout: redis.commandTimeout, connectionName: 'shadowgate-ledger' });
  conn.on('error', () => undefined);
  const stream = new LedgerStream(conn, redis.keyPrefix, signer, isJudge);
  const cuts = peer === undefined ? undefined
    : new FleetCuts(conn, conn.duplicate({ connectionName: 'shadowgate-ledger-cut', maxRetriesPerRequest: null, commandTimeout: undefined }), redis.keyPrefix, peer.replica, peer.answer, onError);
  let pumping = false;
  const timer = setInterval(() => {
    if (pumping || !isJudge()) return;
    pumping = true;
    void stream.pump().catch(onError).finally(() => {
      pumping = false;
    });
  }, PUMP_MS).unref();
  return {
    key: JSON.stringify([config.ledger, redis]),
    stream,
    ...(cuts !== undefined ? { cuts } : {}),
    close: () => {
      clearInterval(timer);
      cuts?.close();
      conn.disconnect();
    },
  };
}
