// The one bounded map: memo tables and caches with two generations, O(1) set and lookup, at most `max`
// entries, forgetting the older half at a time (an entry still in use is carried over, so it survives).
// Much cheaper than an LRU under churn, where only approximate recency matters, and never the
// everything-at-once forgetting of a map cleared when full. `undefined` is not a storable value (a miss).
export class BoundedMap<K, V> {
  #current = new Map<K, V>();
  #previous = new Map<K, V>();
  readonly #half: number;

  constructor(max: number) {
    this.#half = Math.max(1, Math.floor(max / 2));
  }

  get(key: K): V | undefined {
    const v = this.#current.get(key);
    if (v !== undefined) return v;
    const old = this.#previous.get(key);
    // A hit in the old generation is still in use: carry it over so it survives the next turnover.
    if (old !== undefined) this.set(key, old);
    return old;
  }

  /** True when `key` is in the current generation (no carry-over: the cheap test before a set). */
  hasCurrent(key: K): boolean {
    return this.#current.has(key);
  }

  /**
   * `if (!hasCurrent(key)) set(key, value)` for a caller whose re-set would change nothing (the same
   * value): while the generation has room, one probe (Map.set of a present key keeps it where it is).
   */
  setAbsent(key: K, value: V): void {
    if (this.#current.size < this.#half) this.#current.set(key, value);
    else if (!this.#current.has(key)) this.set(key, value);
  }

  set(key: K, value: V): void {
    if (this.#current.size >= this.#half) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(key, value);
  }
}

export class BoundedSet {
  readonly #map: BoundedMap<string, true>;

  constructor(max: number) {
    this.#map = new BoundedMap<string, true>(max);
  }

  has(value: string): boolean {
    return this.#map.get(value) !== undefined;
  }

  /** One lookup when present in the current generation; otherwise (re)inserted there. */
  add(value: string): void {
    this.#map.setAbsent(value, true);
  }
}
