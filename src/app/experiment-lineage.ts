// What an experiment's ledger entries hold so that `shadowgate experiment reproduce` can replay it
// (docs/lineage.md): when it starts, the dataset file in progress is cut, so its data begins at a file
// boundary; when it concludes, the file is cut again, and the `concluded` entry names the files sealed in
// between (with their SHA-256), the configuration's path (its digest is the entry's configDigest), the
// policies, the seeds, the experiment's criteria, and the verdict with its evaluation.
import { readFile } from 'node:fs/promises';
import { createAnonymizer } from '../anonymize/index.js';
import type { Config } from '../config/schema.js';
import type { DatasetWriter } from '../dataset/writer.js';
import type { Experiment } from '../experiments/index.js';
import { seedOf } from '../kernel/hash.js';
import { redisClass } from '../state/redis.js';
import type { Signer } from '../ledger/keys.js';
import { policyRef, type DatasetRef, type EntryInput, type EntryType, type Ledger, type LedgerEntry, type PolicyRef } from '../ledger/ledger.js';
import { LedgerStream } from '../ledger/stream.js';

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
 * The dataset files sealed after the experiment's last `started` entry, from the ledger file itself. When
 * the file has no such entry (`ledger.stream: redis` sends experiment entries to the fleet's stream), the
 * files holding a record from `startedAt` on (their manifest's time range).
 */
export async function datasetsSinceStart(ledgerPath: string, id: string, startedAt?: string): Promise<DatasetRef[]> {
  let text = '';
  try {
    text = await readFile(ledgerPath, 'utf8');
  } catch {
    return [];
  }
  let out: DatasetRef[] = [];
  let marked = false;
  const byTime: DatasetRef[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let e: LedgerEntry;
    try {
      e = JSON.parse(line) as LedgerEntry;
    } catch {
      continue;
    }
    if (e.type === 'started' && e.experiment === id) {
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

export interface LineageSources {
  readonly ledger: () => Ledger | undefined;
  readonly config: () => Config;
  readonly configPath: string | undefined;
  readonly writer: () => DatasetWriter | undefined;
  readonly experiment: (id: string) => Experiment | undefined;
}

/**
 * What an experiment's entry of `type` adds to the ledger beyond who and when; cuts the dataset file
 * first for `started` and `concluded`. Resolves after the cut file is sealed (its own entry appended).
 */
export async function experimentLineage(type: EntryType, id: string | undefined, src: LineageSources): Promise<Partial<EntryInput>> {
  if (id === undefined || (type !== 'started' && type !== 'concluded')) return {};
  const e = src.experiment(id);
  if (e === undefined) return {};
  const writer = src.writer();
  await writer?.cut();
  const config = src.config();
  const base = { policies: policiesInUse(config, [e.route]), seeds: experimentSeeds(e.route) };
  if (type === 'started') return { ...base, details: { configPath: src.configPath ?? null, recording: writer !== undefined } };
  const ledger = src.ledger();
  const startedAt = [...e.history].reverse().find((h) => h.action === 'start')?.at;
  const datasets = ledger === undefined ? [] : await datasetsSinceStart(ledger.path, id, startedAt);
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
    details: { configPath: src.configPath ?? null, recording: writer !== undefined, experiment: experimentTerms(e) },
  };
}

/** The fleet's ledger stream of a configuration (`ledger.stream: redis`), pumped by this replica while it judges. */
export interface OpenStream {
  readonly key: string;
  readonly stream: LedgerStream;
  close(): void;
}

export function openLedgerStream(config: Config, signer: Signer, isJudge: () => boolean, onError: (err: unknown) => void): OpenStream | undefined {
  const redis = config.state.redis;
  if (config.ledger?.stream !== 'redis' || redis === undefined) return undefined;
  const Redis = redisClass(); // loaded here, not at import (docs/memory.md)
  const conn = new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1, commandTimeout: redis.commandTimeout, connectionName: 'shadowgate-ledger' });
  conn.on('error', () => undefined);
  const stream = new LedgerStream(conn, redis.keyPrefix, signer, isJudge);
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
    close: () => {
      clearInterval(timer);
      conn.disconnect();
    },
  };
}
