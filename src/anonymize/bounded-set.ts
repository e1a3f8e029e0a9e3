// A bounded set with two generations: O(1) add and lookup, holds at most `max` entries, and forgets the
// oldest half at a time. Cheaper than an LRU where only approximate recency matters.
export class BoundedSet {
  #current = new Set<string>();
  #previous = new Set<string>();
  readonly #half: number;

  constructor(max: number) {
    this.#half = Math.max(1, Math.floor(max / 2));
  }

  has(value: string): boolean {
    return this.#current.has(value) || this.#previous.has(value);
  }

  add(value: string): void {
    if (this.#current.has(value)) return;
    if (this.#current.size >= this.#half) {
      this.#previous = this.#current;
      this.#current = new Set();
    }
    this.#current.add(value);
  }
}
