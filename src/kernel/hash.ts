// The one string hash of the house: FNV-1a (32-bit) with murmur3's fmix32 finalizer where the bits must be
// uniform. Canary buckets, sticky sampling, per-route seeds, the word table and the demo all use it.

/** FNV-1a's offset basis and prime. */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The byte between salt and key in keyed hashes, so ("ab", "c") and ("a", "bc") differ. */
export const KEY_SEPARATOR = 0x1f;

/** FNV-1a over the UTF-16 units of `text`, continuing from state `h` (a signed 32-bit state). */
export function fnv1a(text: string, h: number = FNV_OFFSET): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** FNV-1a over bytes, continuing from state `h`. */
export function fnv1aBytes(bytes: Uint8Array, h: number = FNV_OFFSET): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h;
}

/** One more unit (a separator byte) into the state. */
export function fnv1aUnit(h: number, unit: number): number {
  return Math.imul(h ^ unit, FNV_PRIME);
}

/** murmur3's finalizer: FNV alone leaves short, similar keys (user-1, user-2) clustered in the low bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** An unsigned 32-bit seed from a name (per-route random seeds). */
export function seedOf(text: string): number {
  return fnv1a(text) >>> 0;
}

/** A well-mixed unsigned 32-bit hash of (salt, key); `separator` keeps the callers' historic assignments. */
export function keyedHash(salt: string, key: string, separator: number = KEY_SEPARATOR): number {
  return fmix32(fnv1a(key, fnv1aUnit(fnv1a(salt), separator)));
}

/** keyedHash mapped to [0, 1): a key always lands on the same point. */
export function keyedUnit(salt: string, key: string, separator: number = KEY_SEPARATOR): number {
  return keyedHash(salt, key, separator) / 4294967296;
}
