// Production-shaped, seeded demo traffic: fraud-scoring requests from a recurring cast of synthetic
// users (personal data in the body and sometimes in a free-text note), and a load driver over an undici
// Pool that reports statuses and latency percentiles. plantedValues() lists every personal value used.
import { setMaxListeners } from 'node:events';
import { build as buildHistogram } from 'hdr-histogram-js';
import { Pool } from 'undici';
import { ShadowgateError } from '../errors.js';
import { createUsers, type DemoUser } from './people.js';
import { createRng, intBetween, pick, type Rng } from './random.js';

export interface DemoTransaction {
  readonly amount: number;
  readonly currency: string;
  readonly merchant: string;
  readonly merchant_category: string;
  readonly country: string;
  readonly cross_border: boolean;
  readonly account_age_days: number;
  readonly n_tx_24h: number;
  readonly hour: number;
  readonly device: string;
  readonly card_present: boolean;
  readonly distance_km: number;
  readonly avg_amount_30d: number;
  readonly failed_logins_7d: number;
  readonly new_device: boolean;
}

export interface DemoRequestBody {
  readonly user: Omit<DemoUser, 'card' | 'iban'>;
  readonly payment: { readonly card: string; readonly iban?: string };
  readonly transaction: DemoTransaction;
  readonly note: string;
}

export type PlantedKind = 'id' | 'email' | 'name' | 'phone' | 'dob' | 'street' | 'ip' | 'card' | 'iban';
export interface PlantedValue {
  readonly kind: PlantedKind;
  readonly value: string;
}

const CURRENCY: Readonly<Record<string, string>> = { US: 'USD', GB: 'GBP', DE: 'EUR', FR: 'EUR', NL: 'EUR', ES: 'EUR', IN: 'INR', BR: 'BRL' };
const MERCHANTS: readonly (readonly [name: string, category: string])[] = [
  ['FreshMart', 'grocery'], ['Corner Bakery', 'grocery'], ['VoltTech', 'electronics'], ['PixelHub', 'electronics'],
  ['SkyJet Airlines', 'travel'], ['StayWell Hotels', 'travel'], ['QuickFuel', 'fuel'], ['Urban Threads', 'fashion'],
  ['GameVault', 'gaming'], ['CoinSwap', 'crypto'], ['GiftZone', 'gift_cards'], ['Daily Pharmacy', 'health'],
];
const TRAVEL_COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'ES', 'IN', 'BR', 'NG', 'RU', 'TH'] as const;
const DEVICES = ['mobile', 'mobile', 'mobile', 'desktop', 'desktop', 'tablet', 'unknown'] as const;

export interface TrafficOptions {
  /** Distinct users (default 300); the same users recur, with the same email, card and so on. */
  readonly users?: number;
}

/** Seeded request generator: the same seed gives the same sequence of bodies. */
export class TrafficGenerator {
  readonly users: readonly DemoUser[];
  private readonly rng: Rng;
  /** Personal values used so far; bounded by the cast (users × fields). */
  private readonly used = new Map<string, PlantedKind>();

  constructor(readonly seed: number, opts: TrafficOptions = {}) {
    const n = opts.users ?? 300;
    if (!Number.isInteger(n) || n < 2 || n > 100_000) throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', `users must be an integer in 2..100000, got ${n}`, 400);
    this.users = createUsers(seed, n);
    this.rng = createRng(seed);
  }

  next(): DemoRequestBody {
    const g = this.rng;
    // Skewed toward a core of frequent users, as real customer bases are.
    const user = this.users[Math.floor(this.users.length * g() * g())]!;
    this.plant(user, ['id', 'email', 'name', 'phone', 'dob', 'street', 'ip', 'card', 'iban']);
    const [merchant, category] = pick(g, MERCHANTS);
    const abroad = g() < 0.08;
    const country = abroad ? pick(g, TRAVEL_COUNTRIES) : user.address.country;
    const avg = Math.round(Math.exp(2.5 + g() * 3) * 100) / 100;
    const spike = g() < 0.05 ? 3 + g() * 12 : 0.2 + g() * 1.8;
    const { card, iban, ...person } = user;
    return {
      user: person,
      payment: iban !== undefined && g() < 0.3 ? { card, iban } : { card },
      transaction: {
        amount: Math.round(avg * spike * 100) / 100,
        currency: CURRENCY[country] ?? 'USD',
        merchant,
        merchant_category: category,
        country,
        cross_border: country !== user.address.country,
        account_age_days: g() < 0.07 ? intBetween(g, 0, 14) : intBetween(g, 15, 4000),
        n_tx_24h: g() < 0.05 ? intBetween(g, 8, 40) : intBetween(g, 0, 6),
        hour: intBetween(g, 0, 23),
        device: pick(g, DEVICES),
        card_present: g() < 0.45,
        distance_km: Math.round((abroad ? 300 + g() * 8000 : g() * g() * 120) * 10) / 10,
        avg_amount_30d: avg,
        failed_logins_7d: g() < 0.9 ? 0 : intBetween(g, 1, 9),
        new_device: g() < 0.12,
      },
      note: this.note(user),
    };
  }

  /** Every personal value used by the requests generated so far. */
  planted(): PlantedValue[] {
    return [...this.used].map(([value, kind]) => ({ kind, value }));
  }

  private plant(user: DemoUser, kinds: readonly PlantedKind[]): void {
    for (const kind of kinds) {
      const value = kind === 'street' ? user.address.street : user[kind];
      if (value !== undefined) this.used.set(value, kind);
    }
  }

  private note(user: DemoUser): string {
    const g = this.rng;
    const roll = g();
    if (roll < 0.55) return '';
    if (roll < 0.7) return pick(g, ['birthday present', 'monthly subscription', 'refund expected', 'split the bill', 'office supplies']);
    if (roll < 0.8) return `Please send the receipt to ${user.email}, thanks`;
    if (roll < 0.88) return `Customer called from ${user.phone} to confirm the purchase`;
    const friend = this.users[Math.floor(g() * this.users.length)]!;
    this.plant(friend, ['name']);
    return `Gift for ${friend.name}, wrapped please`;
  }
}

export function createTrafficGenerator(seed: number, opts: TrafficOptions = {}): TrafficGenerator {
  return new TrafficGenerator(seed, opts);
}

/** Every personal value the generator with this seed uses in its first `n` requests. */
export function plantedValues(seed: number, n: number, opts: TrafficOptions = {}): PlantedValue[] {
  const gen = new TrafficGenerator(seed, opts);
  for (let i = 0; i < n; i++) gen.next();
  return gen.planted();
}

// Splits JSON text (also JSON inside JSON strings) into words, keeping `:` so IPv6 addresses stay whole.
const WORD_SPLIT = /[\s"\\,{}[\]]+/;

/**
 * Finds planted personal values in text in one pass over its words (values of several words, such as
 * names and phones, match as word sequences), so whole datasets can be scanned for leaks.
 */
export class PlantedScanner {
  private readonly byFirstWord = new Map<string, { words: string[]; value: PlantedValue }[]>();

  constructor(planted: readonly PlantedValue[]) {
    for (const value of planted) {
      const words = value.value.split(WORD_SPLIT).filter((w) => w.length > 0);
      if (words.length === 0) continue;
      let list = this.byFirstWord.get(words[0]!);
      if (!list) this.byFirstWord.set(words[0]!, (list = []));
      list.push({ words, value });
    }
  }

  /** Planted values present in `text` (each once), at most `limit`. */
  scan(text: string, limit = 100): PlantedValue[] {
    const words = text.split(WORD_SPLIT);
    const found = new Set<PlantedValue>();
    for (let i = 0; i < words.length && found.size < limit; i++) {
      const candidates = this.byFirstWord.get(words[i]!);
      if (!candidates) continue;
      for (const c of candidates) {
        let k = 1;
        while (k < c.words.length && words[i + k] === c.words[k]) k++;
        if (k === c.words.length) found.add(c.value);
      }
    }
    return [...found];
  }
}

export interface TrafficProgress {
  readonly elapsedMs: number;
  readonly sent: number;
  readonly completed: number;
  /** Completed requests per second over the last interval. */
  readonly rps: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly errors: number;
}

export interface DriveOptions {
  readonly url: string;
  readonly path: string;
  readonly durationMs: number;
  readonly concurrency: number;
  /** Open-loop pacing across all connections; absent means as fast as the server answers. */
  readonly rps?: number;
  readonly seed: number;
  readonly users?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Send the user id as this header (so a sticky canary keeps a user on one side). */
  readonly userHeader?: string;
  readonly onProgress?: (p: TrafficProgress) => void;
  readonly progressIntervalMs?: number;
  readonly signal?: AbortSignal;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface DriveResult {
  readonly sent: number;
  readonly completed: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Transport failures by error code (no HTTP status arrived). */
  readonly errors: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly rps: number;
  /** Milliseconds, over requests that got a status. */
  readonly latencyMs: LatencySummary;
  /** Personal values the sent requests carried (for leak scans). */
  readonly planted: readonly PlantedValue[];
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', message, 400);
}

/** Sends generated requests for `durationMs` (or until `signal` aborts) and summarises what came back. */
export async function driveTraffic(opts: DriveOptions): Promise<DriveResult> {
  check(Number.isFinite(opts.durationMs) && opts.durationMs >= 0, `durationMs must be a non-negative number, got ${opts.durationMs}`);
  check(Number.isInteger(opts.concurrency) && opts.concurrency > 0 && opts.concurrency <= 4096, `concurrency must be an integer in 1..4096, got ${opts.concurrency}`);
  check(opts.rps === undefined || (Number.isFinite(opts.rps) && opts.rps > 0), `rps must be a positive number, got ${opts.rps}`);
  check(opts.path.startsWith('/'), `path must start with /, got ${opts.path}`);
  const gen = new TrafficGenerator(opts.seed, opts.users !== undefined ? { users: opts.users } : {});
  // Every in-flight request listens on the caller's signal so that Ctrl-C stops at once.
  if (opts.signal) setMaxListeners(opts.concurrency + 16, opts.signal);
  const pool = new Pool(opts.url, { connections: opts.concurrency, keepAliveTimeout: 10_000 });
  // Microseconds, 1 µs .. 1 h, 3 significant digits: a fixed-size histogram, whatever the run length.
  const hist = buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: false });
  const byStatus: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + opts.durationMs;
  const baseHeaders = { 'content-type': 'application/json', 'user-agent': 'shadowgate-demo-traffic/1', ...opts.headers };
  const timeout = opts.timeoutMs ?? 10_000;
  const stopped = () => opts.signal?.aborted === true || performance.now() >= deadline;

  let lastCompleted = 0;
  let lastAt = started;
  const report = () => {
    const now = performance.now();
    const rps = ((completed - lastCompleted) * 1000) / Math.max(1, now - lastAt);
    lastCompleted = completed;
    lastAt = now;
    opts.onProgress?.({ elapsedMs: now - started, sent, completed, rps, byStatus: { ...byStatus }, errors: failed });
  };
  const ticker = opts.onProgress ? setInterval(report, opts.progressIntervalMs ?? 1000) : undefined;

  let slot = 0;
  const worker = async (): Promise<void> => {
    while (!stopped()) {
      if (opts.rps !== undefined) {
        const due = started + (slot++ * 1000) / opts.rps;
        const wait = due - performance.now();
        // Pacing an open-loop load, not synchronising anything: the only sleep here.
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stopped()) break;
      }
      const body = gen.next();
      const headers = opts.userHeader ? { ...baseHeaders, [opts.userHeader]: body.user.id } : baseHeaders;
      sent++;
      const t0 = performance.now();
      try {
        const res = await pool.request({ origin: opts.url, path: opts.path, method: 'POST', headers, body: JSON.stringify(body), headersTimeout: timeout, bodyTimeout: timeout, ...(opts.signal ? { signal: opts.signal } : {}) });
        await res.body.dump();
        hist.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        const code = String(res.statusCode);
        byStatus[code] = (byStatus[code] ?? 0) + 1;
        completed++;
      } catch (err) {
        if (opts.signal?.aborted) break;
        const code = (err as { code?: string }).code ?? 'error';
        errors[code] = (errors[code] ?? 0) + 1;
        failed++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    if (ticker) clearInterval(ticker);
    await pool.destroy();
  }
  const durationMs = performance.now() - started;
  const ms = (us: number) => Math.round(us) / 1000;
  const latencyMs: LatencySummary = hist.totalCount === 0
    ? { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }
    : { p50: ms(hist.getValueAtPercentile(50)), p90: ms(hist.getValueAtPercentile(90)), p99: ms(hist.getValueAtPercentile(99)), max: ms(hist.maxValue), mean: ms(hist.mean) };
  hist.destroy();
  return { sent, completed, byStatus, errors, durationMs, rps: (completed * 1000) / Math.max(1, durationMs), latencyMs, planted: gen.planted() };
}
