// The demo's fraud-scoring models as pure functions: a deterministic logistic regression over a dozen
// transaction features (incumbent fraud-v1) and a retrained candidate (fraud-v2) with other weights,
// plus the injectable differences and faults that tests and benchmarks switch on by option.
import { ShadowgateError } from '../errors.js';
import { uniformOf } from './random.js';

export type DemoModelKind = 'incumbent' | 'candidate';
export type ServedAtMode = 'none' | 'now' | 'random';

export interface DemoModelOptions {
  readonly kind: DemoModelKind;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Median artificial service time before answering (default 4 ms). */
  readonly baseLatencyMs?: number;
  /** Multiplies the service time (candidate default 1.2, incumbent 1). */
  readonly latencyFactor?: number;
  /** Extra fixed delay before every answer. */
  readonly delayMs?: number;
  /** Flip the label (and mirror the score) on this fraction of inputs. */
  readonly flipRate?: number;
  /** Added to every score (clamped to [0, 1]). */
  readonly scoreDrift?: number;
  /** served_at: absent, the time of the answer (candidate default) or a random timestamp. */
  readonly servedAt?: ServedAtMode;
  /** Send `reasons` in another order (same members). */
  readonly shuffleReasons?: boolean;
  /** Answer 500 on this fraction of inputs. */
  readonly failRate?: number;
  /** Never answer this fraction of inputs (1: never answer at all). */
  readonly hangRate?: number;
  /** Salts every per-input choice; two servers with the same seed make the same choices. */
  readonly seed?: number;
}

export interface ResolvedModelOptions extends Required<Omit<DemoModelOptions, 'host' | 'port'>> {
  readonly host: string;
  readonly port: number;
}

const fraction = (name: string, v: number | undefined, dflt: number): number => {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', `${name} must be a fraction in [0, 1], got ${v}`, 400);
  return x;
};
const nonNegative = (name: string, v: number | undefined, dflt: number): number => {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x < 0) throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', `${name} must be a non-negative number, got ${v}`, 400);
  return x;
};

export function resolveModelOptions(o: DemoModelOptions): ResolvedModelOptions {
  if (o.kind !== 'incumbent' && o.kind !== 'candidate') throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', `kind must be incumbent or candidate, got ${String(o.kind)}`, 400);
  const candidate = o.kind === 'candidate';
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', `port must be an integer in 0..65535, got ${port}`, 400);
  const servedAt = o.servedAt ?? (candidate ? 'now' : 'none');
  if (!['none', 'now', 'random'].includes(servedAt)) throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', `servedAt must be none, now or random, got ${String(servedAt)}`, 400);
  return {
    kind: o.kind,
    host: o.host ?? '127.0.0.1',
    port,
    baseLatencyMs: nonNegative('baseLatencyMs', o.baseLatencyMs, 4),
    latencyFactor: nonNegative('latencyFactor', o.latencyFactor, candidate ? 1.2 : 1),
    delayMs: nonNegative('delayMs', o.delayMs, 0),
    flipRate: fraction('flipRate', o.flipRate, 0),
    scoreDrift: Number.isFinite(o.scoreDrift ?? 0) ? (o.scoreDrift ?? 0) : 0,
    servedAt,
    shuffleReasons: o.shuffleReasons ?? false,
    failRate: fraction('failRate', o.failRate, 0),
    hangRate: fraction('hangRate', o.hangRate, 0),
    seed: o.seed ?? 1,
  };
}

/** Feature names as they appear in `reasons`. */
export const FEATURES = [
  'amount', 'account_age_days', 'n_tx_24h', 'country_risk', 'cross_border', 'device', 'hour', 'card_present',
  'distance_km', 'amount_vs_average', 'failed_logins_7d', 'new_device', 'merchant_category',
  // Interactions only the retrained candidate weighs: account takeover, and night-time spending abroad.
  'takeover_pattern', 'night_abroad',
] as const;
const N = FEATURES.length;

const COUNTRY_RISK: Readonly<Record<string, number>> = { US: 0.2, GB: 0.15, DE: 0.1, FR: 0.15, NL: 0.1, ES: 0.2, IN: 0.35, BR: 0.45, NG: 0.8, RU: 0.85, TH: 0.5 };
const DEVICE_RISK: Readonly<Record<string, number>> = { mobile: 0.2, desktop: 0.1, tablet: 0.15, unknown: 0.9 };
const CATEGORY_RISK: Readonly<Record<string, number>> = { grocery: 0.05, fuel: 0.1, health: 0.1, fashion: 0.3, travel: 0.4, electronics: 0.5, gaming: 0.55, gift_cards: 0.85, crypto: 0.9 };

interface Weights {
  readonly bias: number;
  readonly w: readonly number[];
}

// Order as FEATURES. The candidate was retrained with two interaction features: it keeps the incumbent's
// weights elsewhere, so it answers identically except on the few inputs those patterns match.
const INCUMBENT: Weights = { bias: -6.9, w: [2.6, 2.4, 2.2, 2.0, 0.9, 1.2, 0.9, -1.4, 1.0, 1.6, 1.8, 0.9, 2.2, 0, 0] };
const CANDIDATE: Weights = { bias: -6.9, w: [2.6, 2.4, 2.2, 2.0, 0.9, 1.2, 0.9, -1.4, 1.0, 1.6, 1.8, 0.9, 2.2, 4, 4] };

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Feature vector in [0, ~1.5] per feature; missing or odd fields count as zero risk. */
export function extractFeatures(body: unknown): Float64Array {
  const t = obj(obj(body).transaction);
  const amount = Math.max(0, num(t.amount));
  const avg = Math.max(1, num(t.avg_amount_30d));
  const hour = num(t.hour);
  const x = new Float64Array(N);
  x[0] = Math.log1p(amount) / Math.log1p(5000);
  x[1] = 1 / (1 + Math.max(0, num(t.account_age_days)) / 30);
  x[2] = Math.min(num(t.n_tx_24h), 40) / 20;
  x[3] = COUNTRY_RISK[str(t.country)] ?? 0.5;
  x[4] = t.cross_border === true ? 1 : 0;
  x[5] = DEVICE_RISK[str(t.device)] ?? 0.5;
  x[6] = hour >= 0 && hour < 6 ? 1 : 0;
  x[7] = t.card_present === true ? 1 : 0;
  x[8] = Math.min(Math.max(0, num(t.distance_km)), 10_000) / 5000;
  x[9] = Math.min(amount / avg, 15) / 10;
  x[10] = Math.min(Math.max(0, num(t.failed_logins_7d)), 10) / 5;
  x[11] = t.new_device === true ? 1 : 0;
  x[12] = CATEGORY_RISK[str(t.merchant_category)] ?? 0.3;
  x[13] = x[11] * (x[10] > 0 ? 1 : 0);
  x[14] = x[4] * x[6];
  return x;
}

export interface Prediction {
  readonly prediction: 'fraud' | 'legit';
  readonly score: number;
  /** The three features that pushed the score up most, strongest first. */
  readonly reasons: string[];
}

export function predict(kind: DemoModelKind, x: Float64Array): Prediction {
  const { bias, w } = kind === 'incumbent' ? INCUMBENT : CANDIDATE;
  let z = bias;
  const contrib: { i: number; c: number }[] = [];
  for (let i = 0; i < N; i++) {
    const c = w[i]! * x[i]!;
    z += c;
    if (c > 0) contrib.push({ i, c });
  }
  contrib.sort((a, b) => b.c - a.c || a.i - b.i);
  const score = 1 / (1 + Math.exp(-z));
  return { prediction: score >= 0.5 ? 'fraud' : 'legit', score: round4(score), reasons: contrib.slice(0, 3).map((e) => FEATURES[e.i]!) };
}

export function round4(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

// Salts of the independent per-input choices.
const SALT = { flip: 0x1f1f, fail: 0xfa11, hang: 0x4a46, jitter: 0x717e, served: 0x5e4d } as const;

export type ModelDecision =
  | { readonly kind: 'hang' }
  | { readonly kind: 'fail'; readonly delayMs: number }
  | { readonly kind: 'answer'; readonly delayMs: number; readonly prediction: Prediction; readonly servedAt?: string };

/** Everything the server does with one request body, decided by the body bytes and the seed alone. */
export function decide(o: ResolvedModelOptions, raw: Uint8Array, body: unknown, nowMs: number): ModelDecision {
  const u = (salt: number) => uniformOf(raw, salt ^ o.seed);
  if (o.hangRate > 0 && u(SALT.hang) < o.hangRate) return { kind: 'hang' };
  // Service time: median base, ±25% jitter, and a 2% tail at 4x, so p99 is not just the median.
  const j = u(SALT.jitter);
  const service = o.baseLatencyMs * (j < 0.02 ? 4 : 0.75 + j * 0.5) * o.latencyFactor;
  const delayMs = service + o.delayMs;
  if (o.failRate > 0 && u(SALT.fail) < o.failRate) return { kind: 'fail', delayMs };
  const base = predict(o.kind, extractFeatures(body));
  let prediction = base;
  if (o.flipRate > 0 && u(SALT.flip) < o.flipRate) {
    prediction = { prediction: base.prediction === 'fraud' ? 'legit' : 'fraud', score: round4(1 - base.score), reasons: base.reasons };
  }
  if (o.scoreDrift !== 0) prediction = { ...prediction, score: round4(Math.min(1, Math.max(0, prediction.score + o.scoreDrift))) };
  if (o.shuffleReasons && prediction.reasons.length > 1) prediction = { ...prediction, reasons: [...prediction.reasons.slice(1), prediction.reasons[0]!] };
  const servedAt = o.servedAt === 'now' ? microsecondIso(nowMs)
    : o.servedAt === 'random' ? new Date(1_600_000_000_000 + Math.floor(u(SALT.served) * 1e11) + (nowMs % 1000)).toISOString()
      : undefined;
  return { kind: 'answer', delayMs, prediction, ...(servedAt !== undefined ? { servedAt } : {}) };
}

/** ISO-8601 with microseconds: two servers answering the same copy in the same millisecond still differ. */
export function microsecondIso(nowMs: number): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1000;
  return `${new Date(nowMs).toISOString().slice(0, -1)}${String(micros).padStart(3, '0')}Z`;
}

export const MODEL_NAME: Readonly<Record<DemoModelKind, string>> = { incumbent: 'fraud-v1', candidate: 'fraud-v2' };
