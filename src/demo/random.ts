// Seeded randomness for the demo: a small fast PRNG (mulberry32) and a string hash (FNV-1a), so traffic,
// model noise and injected faults are reproducible from one seed and never depend on Math.random.
import { seededRandom } from '../compare/stats.js';
import { FNV_OFFSET, fmix32, fnv1a, fnv1aBytes } from '../kernel/hash.js';

export type Rng = () => number;

/** mulberry32, shared with the comparison engine: uniform in [0, 1) from a 32-bit seed. */
export const createRng: (seed: number) => Rng = seededRandom;

/** The kernel's FNV-1a over the bytes (or UTF-16 units) of the input, from a salted basis, then fmix32. */
export function hash32(input: Uint8Array | string, salt = 0): number {
  const h = (FNV_OFFSET ^ salt) >>> 0;
  return fmix32(typeof input === 'string' ? fnv1a(input, h) : fnv1aBytes(input, h));
}

/** A uniform in [0, 1) chosen by the input alone: the same input always makes the same choice. */
export function uniformOf(input: Uint8Array | string, salt: number): number {
  return hash32(input, salt) / 4294967296;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rng() * 10));
  return s;
}
