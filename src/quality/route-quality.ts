// One route's data quality and drift, on the live thread: a profile of each feature learned from the
// route's first `referenceSize` shadow copies, a bounded window of the latest copies, and a check every
// `checkEvery` copies (and whenever the report is read) that compares the two — the profile checks
// (missingness, type, range, unseen categories) and the drift tests with Evidently's defaults
// (docs/quality.md). Memory is bounded per feature: two seeded reservoirs and a capped category map for
// the reference, one ring for the window. Pure: the caller passes the clock; no timer, no metric.
import type { QualityConfig } from '../config/schema.js';
import { Reservoir, seededRandom } from '../compare/stats.js';
import { seedOf } from '../kernel/hash.js';
import { compileFeatures, type CompiledFeature, type Observed } from './features.js';
import {
  binCounts, chiSquaredDrift, jensenShannon, ksSorted, ksTwoSample, normalizeWasserstein, normalizedWasserstein, psi, quantileEdges, std, wassersteinSorted,
} from './stats.js';

/** Evidently's switch: a reference of at most this many rows is tested (KS, chi²), a larger one measured (Wasserstein, JS). */
export const SMALL_REFERENCE_ROWS = 1000;
/** A numeric feature with at most this many distinct reference values is treated as categorical (Evidently). */
export const NUMERIC_MIN_UNIQUE = 6;
/** Bins of the PSI (and the numeric Jensen–Shannon): the reference's deciles. */
export const PSI_BINS = 10;

const TYPES = ['missing', 'number', 'string', 'boolean', 'object', 'array', 'pseudonymized'] as const;
type TypeName = (typeof TYPES)[number];
const MISSING = 0;
const NUMBER = 1;
const STRING = 2;
const PSEUDONYMIZED = 6;

export type FeatureKind = 'numeric' | 'categorical' | 'shape';
export type QualityCheck = 'drift' | 'missing' | 'type' | 'range' | 'unseen';
export type DriftStatistic = 'ks' | 'chi2' | 'wasserstein' | 'jensen-shannon';

export interface FeatureDrift {
  readonly statistic: DriftStatistic;
  /** KS D, chi² statistic, normalized Wasserstein or JS distance. */
  readonly value: number;
  /** The two-sample test's p-value (KS or chi²): what decides for a small reference, what confirms a distance for a large one. */
  readonly pValue: number | null;
  /** What drifts: a p-value below it (small reference), a distance at or above it (large; its test's p-value below the shared threshold too). */
  readonly threshold: number;
  readonly drifted: boolean;
  readonly psi: number | null;
  readonly psiFlagged: boolean;
}

export interface FeatureReport {
  readonly name: string;
  readonly path: string;
  /** value: the policy kept the field (its values are profiled); shape: the policy replaced it (type, length, missingness only). */
  readonly mode: 'value' | 'shape';
  readonly kind: FeatureKind;
  readonly reference: {
    readonly type: TypeName; readonly required: boolean; readonly missing: number;
    readonly min: number | null; readonly max: number | null;
    /** Categories with their shares (value mode, categorical), the most frequent first; `other` beyond the sketch. */
    readonly categories: readonly (readonly [string, number])[] | null; readonly other: number;
  };
  readonly window: { readonly rows: number; readonly missing: number; readonly typeChanged: number; readonly outOfRange: number | null; readonly unseen: number | null };
  readonly drift: FeatureDrift | null;
}

export interface QualityAlert {
  readonly feature: string;
  readonly path: string;
  readonly check: QualityCheck;
  readonly statistic?: DriftStatistic;
  readonly value: number;
  readonly threshold: number;
  /** When the check first found it, in the current run of checks that did (ms since the epoch). */
  readonly since: number;
  readonly message: string;
}

export interface PredictionDrift {
  readonly kind: 'label' | 'score';
  readonly rows: number;
  readonly statistic: DriftStatistic;
  readonly pValue: number | null;
  /** JS distance (labels) or Wasserstein normalized by the incumbent's spread (scores). */
  readonly distance: number;
  readonly drifted: boolean;
}

export interface QualityReport {
  /** learning: the reference is being learned; waiting: too few copies in the window; ok; alert. */
  readonly status: 'learning' | 'waiting' | 'ok' | 'alert';
  readonly reference: {
    readonly rows: number; readonly size: number; readonly regime: 'small' | 'large'; readonly fromMs: number | null; readonly toMs: number | null;
    /** quality.reference.dataset: the files the reference was read from (from/to are then its records' times). */
    readonly dataset?: readonly string[];
  };
  readonly window: { readonly rows: number; readonly size: number; readonly minRows: number };
  readonly checkedAt: number | null;
  readonly thresholds: { readonly driftThreshold: number; readonly pValue: number; readonly pValuePerFeature: number; readonly psi: number };
  readonly alerts: readonly QualityAlert[];
  readonly features: readonly FeatureReport[];
  readonly predictions: readonly PredictionDrift[];
  /** What the experiment gate reads: closed with the reasons while the reference is learned or an alert stands. */
  readonly gate: { readonly enabled: boolean; readonly open: boolean; readonly reasons: readonly string[] };
}

interface Entry { readonly type: number; readonly num: number; readonly cat: string | undefined }

function typeCode(t: string): number {
  const i = TYPES.indexOf(t as TypeName);
  return i < 0 ? 4 : i;
}

/** An observation as the profile keeps it: its type, a number (value, or length), a category key. */
function entryOf(o: Observed): Entry & { readonly replaced: boolean } {
  if (o === null) return { type: MISSING, num: NaN, cat: undefined, replaced: false };
  if (typeof o === 'number') return { type: NUMBER, num: o, cat: String(o), replaced: false };
  if (typeof o === 'string') return { type: STRING, num: o.length, cat: o, replaced: false };
  if (typeof o === 'boolean') return { type: 3, num: NaN, cat: String(o), replaced: false };
  // A shape: an object or array as it is, or a scalar the policy replaced.
  const replaced = o.t === 'string' || o.t === 'number' || o.t === 'boolean';
  return { type: typeCode(o.t), num: o.len ?? NaN, cat: undefined, replaced };
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
const fmtNum = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const STAT_NAME: Readonly<Record<DriftStatistic, string>> = { ks: 'KS', chi2: 'chi²', wasserstein: 'Wasserstein', 'jensen-shannon': 'Jensen–Shannon' };

class FeatureTrack {
  // The reference, while it is learned and after.
  refRows = 0;
  missing = 0;
  replaced = 0;
  readonly refTypes = new Array<number>(TYPES.length).fill(0);
  min = Infinity;
  max = -Infinity;
  readonly refNums: Reservoir;
  readonly lens: Reservoir;
  readonly cats = new Map<string, number>();
  other = 0;
  // Decided when the reference is complete.
  kind: FeatureKind = 'categorical';
  shape = false;
  dominant = MISSING;
  edges: number[] = [];
  /** The reference's sample sorted, its spread and its bins: computed once, when the reference is complete. */
  private refSorted = new Float64Array(0);
  private refStd = 0;
  private refBins: number[] = [];
  // The window: a ring of the latest entries (typed: no allocation per copy), and a scratch for its values.
  private readonly types: Uint8Array;
  private readonly nums: Float64Array;
  private readonly catRing: (string | undefined)[];
  private readonly scratch: Float64Array;
  rows = 0;
  next = 0;

  constructor(readonly f: CompiledFeature, private readonly cfg: QualityConfig, seed: number) {
    this.refNums = new Reservoir(cfg.sketch.samples, seededRandom(seed));
    this.lens = new Reservoir(cfg.sketch.samples, seededRandom(seed ^ 0x9e3779b9));
    this.types = new Uint8Array(cfg.windowSize);
    this.nums = new Float64Array(cfg.windowSize);
    this.catRing = new Array<string | undefined>(cfg.windowSize);
    this.scratch = new Float64Array(cfg.windowSize);
  }

  learn(o: Observed): void {
    const e = entryOf(o);
    this.refRows++;
    if (e.replaced) this.replaced++;
    this.refTypes[e.type]!++;
    if (e.type === MISSING) { this.missing++; return; }
    if (e.type === NUMBER) {
      this.refNums.offer(e.num);
      if (e.num < this.min) this.min = e.num;
      if (e.num > this.max) this.max = e.num;
    }
    if (!Number.isNaN(e.num) && e.type !== NUMBER) this.lens.offer(e.num);
    if (e.cat !== undefined && !e.replaced) {
      const c = this.cats.get(e.cat);
      if (c !== undefined) this.cats.set(e.cat, c + 1);
      else if (this.cats.size < this.cfg.sketch.categories) this.cats.set(e.cat, 1);
      else this.other++;
    }
  }

  /** The reference is complete: decide what kind of feature this is and bin it. */
  freeze(): void {
    // Any replaced value in the reference: the feature is profiled by its shape only, its kept values too.
    this.shape = this.replaced > 0;
    let dom = MISSING;
    for (let t = 1; t < TYPES.length; t++) if (this.refTypes[t]! > (dom === MISSING ? 0 : this.refTypes[dom]!)) dom = t;
    this.dominant = dom;
    if (this.shape) {
      this.kind = 'shape';
      this.cats.clear();
      this.other = 0;
      if (this.lens.values().length > 0) this.edges = quantileEdges(this.lens.values(), PSI_BINS);
    } else if (dom === NUMBER && (this.cats.size >= NUMERIC_MIN_UNIQUE || this.other > 0)) {
      this.kind = 'numeric';
      this.edges = quantileEdges(this.refNums.values(), PSI_BINS);
    } else {
      this.kind = 'categorical';
    }
    if (this.kind !== 'categorical') {
      const ref = this.kind === 'shape' ? this.lens.values() : this.refNums.values();
      this.refSorted = Float64Array.from(ref).sort();
      this.refStd = std(ref);
      this.refBins = binCounts(ref, this.edges);
    }
  }

  /** The type an entry counts as: a replaced scalar is its own type in value mode, its underlying type in shape mode. */
  private typeOf(e: Entry & { replaced: boolean }): number {
    return e.replaced && !this.shape ? PSEUDONYMIZED : e.type;
  }

  watch(o: Observed, windowSize: number): void {
    const e = entryOf(o);
    this.types[this.next] = this.typeOf(e);
    this.nums[this.next] = e.num;
    this.catRing[this.next] = this.shape ? undefined : e.cat;
    if (this.rows < windowSize) this.rows++;
    this.next = (this.next + 1) % windowSize;
  }

  report(small: boolean, pPerFeature: number): FeatureReport {
    const cfg = this.cfg;
    const rows = this.rows;
    let missing = 0;
    let present = 0;
    let typeChanged = 0;
    let n = 0;
    let outside = 0;
    const counts = new Map<string, number>();
    const categorical = this.kind === 'categorical';
    for (let i = 0; i < rows; i++) {
      const type = this.types[i]!;
      if (type === MISSING) { missing++; continue; }
      present++;
      if (type !== this.dominant) { typeChanged++; continue; }
      if (categorical) {
        const c = this.catRing[i] ?? '';
        counts.set(c, (counts.get(c) ?? 0) + 1);
      } else {
        const x = this.nums[i]!;
        if (Number.isNaN(x)) continue;
        this.scratch[n++] = x;
        if (x < this.min || x > this.max) outside++;
      }
    }
    let outOfRange: number | null = null;
    let unseen: number | null = null;
    let drift: FeatureDrift | null = null;
    if (!categorical) {
      if (this.kind === 'numeric' && n > 0) outOfRange = outside / n;
      const ref = this.refSorted;
      if (ref.length > 1 && n > 1) {
        const values = this.scratch.subarray(0, n).sort();
        const p = psi(this.refBins, binCounts(values, this.edges));
        const t = ksSorted(ref, values);
        if (small) {
          drift = { statistic: 'ks', value: t.statistic, pValue: t.pValue, threshold: pPerFeature, drifted: t.pValue < pPerFeature, psi: p, psiFlagged: p >= cfg.psiThreshold };
        } else {
          // The distance decides, confirmed by the test: a heavy tail alone moves a sample's Wasserstein past 0.1.
          const d = normalizeWasserstein(wassersteinSorted(ref, values), this.refStd);
          drift = { statistic: 'wasserstein', value: d, pValue: t.pValue, threshold: cfg.driftThreshold, drifted: d >= cfg.driftThreshold && t.pValue < pPerFeature, psi: p, psiFlagged: p >= cfg.psiThreshold };
        }
      }
    } else {
      // Categories: the reference's, "other" beyond its sketch, and "unseen" (a category it never saw, when it saw them all).
      const keys = [...this.cats.keys()];
      const overflowed = this.other > 0;
      let unseenCount = 0;
      let otherCount = 0;
      for (const [k, c] of counts) {
        if (this.cats.has(k)) continue;
        if (overflowed) otherCount += c;
        else unseenCount += c;
      }
      let total = 0;
      for (const c of counts.values()) total += c;
      if (!overflowed && total > 0) unseen = unseenCount / total;
      if (total > 0 && this.refRows > this.missing) {
        const refCounts = [...keys.map((k) => this.cats.get(k)!), this.other, 0];
        const curCounts = [...keys.map((k) => counts.get(k) ?? 0), otherCount, unseenCount];
        const p = psi(refCounts, curCounts);
        const t = chiSquaredDrift(refCounts, curCounts);
        if (small) {
          drift = { statistic: 'chi2', value: t.statistic, pValue: t.pValue, threshold: pPerFeature, drifted: t.pValue < pPerFeature, psi: p, psiFlagged: p >= cfg.psiThreshold };
        } else {
          const d = jensenShannon(refCounts, curCounts);
          drift = { statistic: 'jensen-shannon', value: d, pValue: t.pValue, threshold: cfg.driftThreshold, drifted: d >= cfg.driftThreshold && t.pValue < pPerFeature, psi: p, psiFlagged: p >= cfg.psiThreshold };
        }
      }
    }
    const refCats = this.kind === 'categorical'
      ? [...this.cats].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, c]): [string, number] => [k, c / Math.max(1, this.refRows)])
      : null;
    return {
      name: this.f.name, path: this.f.path, mode: this.shape ? 'shape' : 'value', kind: this.kind,
      reference: {
        type: TYPES[this.dominant]!, required: this.missing === 0, missing: this.refRows === 0 ? 0 : this.missing / this.refRows,
        min: this.kind === 'numeric' && Number.isFinite(this.min) ? this.min : null, max: this.kind === 'numeric' && Number.isFinite(this.max) ? this.max : null,
        categories: refCats, other: this.kind !== 'categorical' || this.refRows === 0 ? 0 : this.other / this.refRows,
      },
      window: { rows, missing: rows === 0 ? 0 : missing / rows, typeChanged: present === 0 ? 0 : typeChanged / present, outOfRange, unseen },
      drift,
    };
  }
}

/** An alert found by one check: its key (feature and check) ties it to the run of checks that found it. */
function alertsOf(f: FeatureReport, cfg: QualityConfig): Omit<QualityAlert, 'since'>[] {
  const out: Omit<QualityAlert, 'since'>[] = [];
  const base = { feature: f.name, path: f.path };
  const L = cfg.limits;
  const missingUp = f.window.missing - f.reference.missing;
  if (missingUp > L.missingIncrease) {
    out.push({ ...base, check: 'missing', value: missingUp, threshold: L.missingIncrease,
      message: `\`${f.name}\` missing in ${pct(f.window.missing)} of the window (reference ${pct(f.reference.missing)}${f.reference.required ? ', a required field' : ''})` });
  }
  if (f.window.typeChanged > L.typeChange) {
    out.push({ ...base, check: 'type', value: f.window.typeChanged, threshold: L.typeChange,
      message: `\`${f.name}\` is not ${f.reference.type} in ${pct(f.window.typeChanged)} of the window (type changed)` });
  }
  if (f.window.outOfRange !== null && f.window.outOfRange > L.outOfRange) {
    out.push({ ...base, check: 'range', value: f.window.outOfRange, threshold: L.outOfRange,
      message: `\`${f.name}\` outside the reference's range [${fmtNum(f.reference.min ?? NaN)}, ${fmtNum(f.reference.max ?? NaN)}] in ${pct(f.window.outOfRange)} of the window` });
  }
  if (f.window.unseen !== null && f.window.unseen > L.unseen) {
    out.push({ ...base, check: 'unseen', value: f.window.unseen, threshold: L.unseen,
      message: `\`${f.name}\` has categories the reference never saw in ${pct(f.window.unseen)} of the window` });
  }
  const d = f.drift;
  if (d?.drifted) {
    const what = d.statistic === 'ks' || d.statistic === 'chi2'
      ? `${STAT_NAME[d.statistic]} p ${(d.pValue ?? 1).toExponential(2)} < ${fmtNum(d.threshold)}`
      : `${STAT_NAME[d.statistic]} ${d.value.toFixed(2)} > ${fmtNum(d.threshold)}`;
    out.push({ ...base, check: 'drift', statistic: d.statistic, value: d.statistic === 'ks' || d.statistic === 'chi2' ? d.pValue ?? 1 : d.value, threshold: d.threshold, message: `\`${f.name}\` ${what}` });
  }
  return out;
}

/** Label or score pairs of the compared answers, in a ring. */
class PredictionRing {
  readonly inc: (number | string)[] = [];
  readonly cand: (number | string)[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  add(a: number | string, b: number | string): void {
    if (this.inc.length < this.size) { this.inc.push(a); this.cand.push(b); }
    else { this.inc[this.next] = a; this.cand[this.next] = b; }
    this.next = (this.next + 1) % this.size;
  }
}

/** Aligned category counts of two samples. */
function categoryCounts(a: readonly (number | string)[], b: readonly (number | string)[]): [number[], number[]] {
  const index = new Map<string, number>();
  for (const x of [...a, ...b]) if (!index.has(String(x))) index.set(String(x), index.size);
  const ca = new Array<number>(index.size).fill(0);
  const cb = new Array<number>(index.size).fill(0);
  for (const x of a) ca[index.get(String(x))!]!++;
  for (const x of b) cb[index.get(String(x))!]!++;
  return [ca, cb];
}

export interface QualityObservation {
  /** One per configured feature, in order. */
  readonly features: readonly Observed[];
  /** [incumbent, candidate] score of the compared answers (predictions.score), when both have one. */
  readonly scores?: readonly [number, number];
}

/** A route's quality: built per configuration generation (a changed `quality:` starts a new reference). */
export class RouteQuality {
  readonly features: readonly CompiledFeature[];
  private readonly tracks: FeatureTrack[];
  private referenceRows = 0;
  private referenceFrom: number | null = null;
  private referenceTo: number | null = null;
  private rowsSinceCheck = 0;
  /** The features of a check in progress (one more per copy observed). */
  private partial: FeatureReport[] | undefined;
  private last: { at: number; alerts: QualityAlert[]; features: FeatureReport[]; predictions: PredictionDrift[] } | undefined;
  private readonly labels: PredictionRing;
  private readonly scores: PredictionRing;
  /**
   * quality.reference.dataset: why the reference is not there yet (being read, or the dataset was refused);
   * live copies are not observed until learnReference took the recorded rows. Undefined: learning live.
   */
  private awaiting: string | undefined;
  /** Where the reference came from: the dataset's files, when it was read from one. */
  private referenceFiles: readonly string[] | undefined;

  constructor(readonly route: string, readonly cfg: QualityConfig) {
    this.features = compileFeatures(cfg.features);
    this.tracks = this.features.map((f) => new FeatureTrack(f, cfg, seedOf(`${route}\u0000${f.path}`)));
    this.labels = new PredictionRing(cfg.windowSize);
    this.scores = new PredictionRing(cfg.windowSize);
    if (cfg.reference !== undefined) this.awaiting = `the reference is being read from the dataset ${cfg.reference.dataset}`;
  }

  get learning(): boolean {
    return this.awaiting !== undefined || this.referenceRows < this.cfg.referenceSize;
  }

  /** Whether the reference waits for its dataset (quality.reference.dataset) and none was given yet. */
  get awaitingReference(): boolean {
    return this.awaiting !== undefined && this.referenceRows === 0;
  }

  /**
   * The reference from a recorded dataset: exactly `referenceSize` rows (each recorded copy's observations,
   * in record order, with its timestamp), learned as the same copies are learned live. Then live copies watch.
   */
  learnReference(rows: readonly { readonly features: readonly Observed[]; readonly ts: number }[], files: readonly string[]): void {
    if (rows.length !== this.cfg.referenceSize || this.referenceRows > 0) throw new Error(`quality reference of ${this.route}: ${rows.length} rows for a reference of ${this.cfg.referenceSize}`);
    for (const r of rows) this.learn(r.features, r.ts);
    this.awaiting = undefined;
    this.referenceFiles = files;
  }

  /** The dataset could not be read or was refused: the reference stays unlearned and the gate closed with this reason. */
  refuseReference(why: string): void {
    if (this.referenceRows === 0) this.awaiting = why;
  }

  private learn(features: readonly Observed[], nowMs: number): void {
    for (let i = 0; i < this.tracks.length; i++) this.tracks[i]!.learn(features[i]!);
    this.referenceFrom ??= nowMs;
    this.referenceTo = nowMs;
    if (++this.referenceRows === this.cfg.referenceSize) for (const t of this.tracks) t.freeze();
  }

  /** One copy's inputs (and, when compared, the two answers' labels). Cheap: a check runs every `checkEvery` copies. */
  observe(obs: QualityObservation, nowMs: number, labels?: readonly [string, string]): void {
    if (obs.features.length !== this.tracks.length || this.awaiting !== undefined) return;
    if (labels !== undefined) this.labels.add(labels[0], labels[1]);
    if (obs.scores !== undefined) this.scores.add(obs.scores[0], obs.scores[1]);
    if (this.learning) {
      this.learn(obs.features, nowMs);
      return;
    }
    for (let i = 0; i < this.tracks.length; i++) this.tracks[i]!.watch(obs.features[i]!, this.cfg.windowSize);
    this.rowsSinceCheck++;
    // A check on the live thread is spread over the copies that follow: one feature per copy (a sort of the
    // window at most), so no copy's result waits for all the features' tests at once.
    const partial = this.partial;
    if (partial !== undefined) {
      partial.push(this.tracks[partial.length]!.report(this.small, this.pPerFeature));
      if (partial.length === this.tracks.length) {
        this.partial = undefined;
        this.finish(partial, nowMs);
      }
    } else if (this.rowsSinceCheck >= this.cfg.checkEvery && this.windowRows >= this.minWindow) {
      this.rowsSinceCheck = 0;
      this.partial = [];
    }
  }

  private get windowRows(): number {
    return this.tracks[0]?.rows ?? 0;
  }

  private get minWindow(): number {
    return Math.min(this.cfg.minWindow, this.cfg.windowSize);
  }

  private get small(): boolean {
    return this.cfg.referenceSize <= SMALL_REFERENCE_ROWS;
  }

  /** The p-value threshold each feature's test is held to: Evidently's 0.05 shared by the route's features (Bonferroni). */
  private get pPerFeature(): number {
    return this.cfg.pValue / Math.max(1, this.tracks.length);
  }

  /** Compares the window with the reference now; an alert keeps the time it was first found while checks keep finding it. */
  check(nowMs: number): void {
    this.rowsSinceCheck = 0;
    this.partial = undefined;
    if (this.learning || this.windowRows < this.minWindow) return;
    this.finish(this.tracks.map((t) => t.report(this.small, this.pPerFeature)), nowMs);
  }

  private finish(features: FeatureReport[], nowMs: number): void {
    const before = new Map((this.last?.alerts ?? []).map((a) => [`${a.path}\u0000${a.check}`, a.since]));
    const alerts = features.flatMap((f) => alertsOf(f, this.cfg)).map((a) => ({ ...a, since: before.get(`${a.path}\u0000${a.check}`) ?? nowMs }));
    this.last = { at: nowMs, alerts, features, predictions: this.predictionDrift() };
  }

  private predictionDrift(): PredictionDrift[] {
    const out: PredictionDrift[] = [];
    const small = (n: number) => n <= SMALL_REFERENCE_ROWS;
    const alpha = this.cfg.pValue;
    if (this.labels.inc.length >= this.minWindow) {
      const [ca, cb] = categoryCounts(this.labels.inc, this.labels.cand);
      const h = chiSquaredDrift(ca, cb);
      const d = jensenShannon(ca, cb);
      const n = this.labels.inc.length;
      out.push({ kind: 'label', rows: n, statistic: small(n) ? 'chi2' : 'jensen-shannon', pValue: h.pValue, distance: d, drifted: small(n) ? h.pValue < alpha : d >= this.cfg.driftThreshold });
    }
    if (this.scores.inc.length >= this.minWindow) {
      const a = this.scores.inc as number[];
      const b = this.scores.cand as number[];
      const t = ksTwoSample(a, b);
      const d = normalizedWasserstein(a, b);
      const n = a.length;
      out.push({ kind: 'score', rows: n, statistic: small(n) ? 'ks' : 'wasserstein', pValue: t.pValue, distance: d, drifted: small(n) ? t.pValue < alpha : d >= this.cfg.driftThreshold });
    }
    return out;
  }

  /**
   * The report section (checks first when copies arrived since the last check, so a conclusion reads the
   * latest window). `fresh: false` (a fleet's periodic evidence) reads the last check, at most checkEvery copies old.
   */
  report(nowMs: number, fresh = true): QualityReport {
    if ((fresh && this.rowsSinceCheck > 0) || this.last === undefined) this.check(nowMs);
    const learning = this.learning;
    const waiting = !learning && this.last === undefined;
    const alerts = learning ? [] : this.last?.alerts ?? [];
    const status = learning ? 'learning' : waiting ? 'waiting' : alerts.length > 0 ? 'alert' : 'ok';
    const reasons: string[] = [];
    if (this.awaiting !== undefined) reasons.push(`data quality: ${this.awaiting}`);
    else if (learning) reasons.push(`data quality: the reference is being learned (${this.referenceRows} of ${this.cfg.referenceSize} copies)`);
    else if (waiting) reasons.push(`data quality: ${this.windowRows} copies in the window since the reference, ${this.minWindow} needed`);
    for (const a of alerts) reasons.push(`${a.check === 'drift' ? 'inputs drifted' : 'data quality'}: ${a.message} since ${hhmm(a.since)} UTC`);
    return {
      status,
      reference: {
        rows: this.referenceRows, size: this.cfg.referenceSize, regime: this.small ? 'small' : 'large', fromMs: this.referenceFrom, toMs: this.referenceTo,
        ...(this.referenceFiles !== undefined ? { dataset: this.referenceFiles } : {}),
      },
      window: { rows: this.windowRows, size: this.cfg.windowSize, minRows: this.minWindow },
      checkedAt: this.last?.at ?? null,
      thresholds: { driftThreshold: this.cfg.driftThreshold, pValue: this.cfg.pValue, pValuePerFeature: this.pPerFeature, psi: this.cfg.psiThreshold },
      alerts,
      features: learning ? [] : this.last?.features ?? [],
      predictions: learning ? [] : this.last?.predictions ?? [],
      gate: { enabled: this.cfg.gate, open: !this.cfg.gate || reasons.length === 0, reasons },
    };
  }
}
