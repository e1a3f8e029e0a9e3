// Counters and a histogram for the live path: a child (`labels(...)`) counts in preallocated numbers of its
// own, and the counts reach prom-client only when the registry is scraped. prom-client's own child hashes
// its label values and validates them on every inc/observe; here that work is done once per child, and a
// request costs an add (a counter) or a bucket search over a Float64Array (the histogram). The exported
// names, labels and values are prom-client's, unchanged: these subclass its Counter and Histogram and add
// the pending counts to them in get() (which every registry read goes through, the cluster's included).
import { Counter, Histogram, type CounterConfiguration, type HistogramConfiguration, type LabelValues } from 'prom-client';

type Args<T extends string> = (string | LabelValues<T>)[];

/** The label set named by labels()'s arguments (positional values or one object), and its cache key. */
function labelSet<T extends string>(names: readonly T[], args: Args<T>): { labels: LabelValues<T>; key: string } {
  const first = args[0];
  if (first !== undefined && typeof first === 'object') {
    const labels = first;
    return { labels, key: names.map((n) => String(labels[n] ?? '')).join('\u0001') };
  }
  if (args.length !== names.length) throw new Error(`Invalid number of arguments (${args.length}): expected ${names.length} label values`);
  const labels: LabelValues<T> = {};
  names.forEach((n, i) => { labels[n] = args[i] as string; });
  return { labels, key: (args as string[]).join('\u0001') };
}

class CounterCell {
  pending = 0;
  touched = false;
  constructor(readonly labels: LabelValues<string>) {}
  inc(value = 1): void {
    if (!(value >= 0)) throw new Error(`It is not possible to decrease a counter (${value})`);
    this.pending += value;
    this.touched = true;
  }
}

/** A prom-client Counter whose children count in place; flushed into the counter when read. */
export class LiveCounter<T extends string = string> extends Counter<T> {
  private readonly cells = new Map<string, CounterCell>();
  private readonly names: readonly T[];

  constructor(config: CounterConfiguration<T>) {
    super(config);
    this.names = config.labelNames ?? [];
  }

  override labels(...args: Args<T>): Counter.Internal {
    const { labels, key } = labelSet(this.names, args);
    let cell = this.cells.get(key);
    if (cell === undefined) this.cells.set(key, (cell = new CounterCell(labels)));
    return cell;
  }

  private flush(): void {
    for (const cell of this.cells.values()) {
      if (!cell.touched) continue;
      this.inc(cell.labels as LabelValues<T>, cell.pending);
      cell.pending = 0;
      cell.touched = false;
    }
  }

  override async get(): ReturnType<Counter<T>['get']> {
    this.flush();
    return super.get();
  }

  override reset(): void {
    // prom-client's constructor calls reset() before this class's fields exist.
    for (const cell of this.cells?.values() ?? []) {
      cell.pending = 0;
      cell.touched = false;
    }
    super.reset();
  }

  override remove(...args: Args<T>): void {
    const { labels, key } = labelSet(this.names, args);
    this.cells.delete(key);
    super.remove(labels);
  }
}

/** prom-client's stored state of one histogram child (lib/histogram.js createBaseValues). */
type HistogramEntry = { labels: Record<string, string | number>; bucketValues: Record<string, number>; sum: number; count: number };

class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** prom-client's entry for these labels, found at the first flush (dropped by reset and remove). */
  entry: HistogramEntry | undefined;
  constructor(readonly labels: LabelValues<string>, private readonly bounds: Float64Array) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    // prom-client's bucket: the first upper bound ≥ the value; above the last, only count and sum (+Inf).
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
  startTimer(): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }
}

/** A prom-client Histogram whose children record into fixed buckets of their own; flushed when read. */
export class LiveHistogram<T extends string = string> extends Histogram<T> {
  private readonly cells = new Map<string, HistogramCell>();
  private readonly names: readonly T[];
  private readonly bounds: Float64Array;
  private readonly metricName: string;

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.metricName = config.name;
    this.names = config.labelNames ?? [];
    this.bounds = Float64Array.from(config.buckets);
  }

  override labels(...args: Args<T>): Histogram.Internal<T> {
    const { labels, key } = labelSet(this.names, args);
    let cell = this.cells.get(key);
    if (cell === undefined) this.cells.set(key, (cell = new HistogramCell(labels, this.bounds)));
    return cell;
  }

  private entryOf(cell: HistogramCell): HistogramEntry {
    const stored = (this as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
    const same = (e: HistogramEntry) => this.names.every((n) => String(e.labels[n]) === String(cell.labels[n]));
    let entry = Object.values(stored).find(same);
    if (entry === undefined) {
      this.zero(cell.labels as LabelValues<T>);
      entry = Object.values(stored).find(same);
    }
    if (entry === undefined || typeof entry.bucketValues !== 'object') throw new Error(`${this.metricName}: prom-client's histogram state is not what LiveHistogram expects`);
    return entry;
  }

  private flush(): void {
    for (const cell of this.cells.values()) {
      if (cell.count === 0) continue;
      const entry = (cell.entry ??= this.entryOf(cell));
      for (let i = 0; i < cell.counts.length; i++) {
        const n = cell.counts[i]!;
        if (n === 0) continue;
        const le = String(this.bounds[i]);
        entry.bucketValues[le] = (entry.bucketValues[le] ?? 0) + n;
        cell.counts[i] = 0;
      }
      entry.sum += cell.sum;
      entry.count += cell.count;
      cell.sum = 0;
      cell.count = 0;
    }
  }

  override async get(): ReturnType<Histogram<T>['get']> {
    this.flush();
    return super.get();
  }

  /** The registry's text output reads through this one (not in prom-client's types; get() calls it too). */
  async getForPromString(): ReturnType<Histogram<T>['get']> {
    this.flush();
    return (Histogram.prototype as unknown as { getForPromString(this: Histogram<T>): ReturnType<Histogram<T>['get']> }).getForPromString.call(this);
  }

  override reset(): void {
    for (const cell of this.cells?.values() ?? []) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
      cell.entry = undefined;
    }
    super.reset();
  }

  override remove(...args: Args<T>): void {
    const { labels, key } = labelSet(this.names, args);
    this.cells.delete(key);
    for (const cell of this.cells.values()) cell.entry = undefined;
    super.remove(labels);
  }
}
