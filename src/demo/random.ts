// Seeded randomness for the demo: a small fast PRNG (mulberry32) and a string hash (FNV-1a), so traffic,
// model noise and injected faults are reproducible from one seed and never depend on Math.random.
import { seededRandom } from '../compare/stats.js';

export type Rng = () => number;

/** mulberry32, shared with the comparison engine: uniform in [0, 1) from a 32-bit seed. */
export const createRng: (seed: number) => Rng = seededRandom;

/** FNV-1a over the bytes (or UTF-16 units) of the input, mixed with a salt. */
export function hash32(input: Uint8Array | string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  if (typeof input === 'string') {
    for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input[i]!, 0x01000193);
  }
  // Final avalanche, so that nearby inputs give unrelated uniforms.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
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
