// Text similarity for string fields that may differ in wording but not in meaning: normalized edit
// distance for short strings, token-set overlap (Jaccard) for long ones, where O(n·m) would be too dear.

/** Strings up to this many characters (both) use edit distance. */
export const SHORT_TEXT = 256;
/** Long texts compare at most this many tokens a side, to bound the cost. */
const MAX_TOKENS = 4096;

function normalize(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** Levenshtein distance with two rows. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

function tokens(s: string): Set<string> {
  const out = new Set<string>();
  for (const t of s.split(/[^\p{L}\p{N}]+/u)) {
    if (t.length > 0) out.add(t);
    if (out.size >= MAX_TOKENS) break;
  }
  return out;
}

/** Similarity in [0, 1]: 1 means equal after trimming, case folding and collapsing whitespace. */
export function textSimilarity(a: string, b: string): number {
  const x = normalize(a);
  const y = normalize(b);
  if (x === y) return 1;
  if (x.length <= SHORT_TEXT && y.length <= SHORT_TEXT) return 1 - editDistance(x, y) / Math.max(x.length, y.length);
  const tx = tokens(x);
  const ty = tokens(y);
  let common = 0;
  for (const t of tx) if (ty.has(t)) common++;
  const union = tx.size + ty.size - common;
  return union === 0 ? 1 : common / union;
}
