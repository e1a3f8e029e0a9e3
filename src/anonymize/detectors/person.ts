// Person names in free text: runs of capitalised words (and initials) where a word is in the bundled
// first-name or surname lists. A dictionary plus capitalisation: fast and predictable, recall measured in
// bench/anonymize-corpus.ts.
import { FIRST_NAMES, SURNAMES, AMBIGUOUS_NAMES } from '../data/names.js';
import type { Span } from './types.js';

// Up to five capitalised tokens or initials (`J`, `D.`) separated by single spaces, with lower-case
// particles between them (Amelia de Vries, Ludwig van der Berg).
const PARTICLE = '(?:de|van|der|den|von|da|di|du|del|della|la|le|dos|das|do|ten|ter|bin|al|y)';
const RUN = new RegExp(`(?<![\\p{L}\\p{M}'’\\-])\\p{Lu}[\\p{L}\\p{M}'’\\-]{0,30}\\.?(?: (?:${PARTICLE} ){0,2}\\p{Lu}[\\p{L}\\p{M}'’\\-]{0,30}\\.?){0,4}(?![\\p{L}\\p{M}])`, 'gu');
const PARTICLES = new Set(PARTICLE.slice(3, -1).split('|'));
const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'madam', 'mx', 'herr', 'frau', 'mme', 'mlle', 'sr', 'sra']);

function isInitial(t: string): boolean {
  return t.length <= 2 && (t.length === 1 || t.endsWith('.'));
}

// Capitalised sentence starters that are never a given name before a surname (The Davis, For Brown).
const NOT_GIVEN = new Set(('the a an this that these those my our your his her their its at in on for from to by ' +
  'with and or but of as if so no yes not all any every some each our new old ask call').split(' '));

// Words just before a run that say a person's name follows (My name is …, Dear …, called …).
const CUE = /(?:name is|name:|name\?|named|called|call me|calls me|dear|hi|hello|hey|thanks|thank you|mr\.?|mrs\.?|ms\.?|says|said|asked|shouted at|directed by|starring|follow up with|talk to|speak to|spoke to|married|producer|songwriter)\s{1,4}$/i;

function bareToken(t: string): string {
  let b = t.endsWith('.') ? t.slice(0, -1) : t;
  if (b.endsWith("'s") || b.endsWith('’s')) b = b.slice(0, -2);
  return b;
}

/**
 * True when a string reads like a sentence (three or more words, one of them a lower-case word that is
 * not a name particle): free text inside a structured value, scanned as freely as the `text` transform.
 */
export function isProse(text: string): boolean {
  let words = 0;
  let lowerWord = false;
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    const space = c === 32 || c === 9 || c === 10 || c === 13;
    if (!space && start < 0) start = i;
    if (space && start >= 0) {
      words++;
      const first = text.charCodeAt(start);
      if (!lowerWord && first >= 97 && first <= 122 && i - start >= 3 && !PARTICLES.has(text.slice(start, i))) lowerWord = true;
      start = -1;
      if (words >= 3 && lowerWord) return true;
    }
  }
  return false;
}

function known(lower: string): boolean {
  return FIRST_NAMES.has(lower) || SURNAMES.has(lower);
}

/**
 * `strict` is for structured values (a JSON, form or query value that is not prose): there a merchant,
 * city or brand is often one or two capitalised words that happen to be in the name lists, so a run is
 * a name only after a title or cue, or when its first and last words are both listed names.
 */
export function detectPerson(text: string, out: Span[], strict = false): void {
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
    const tokens = m[0].split(' ');
    let offset = m.index;
    let first = -1;
    let last = -1;
    let lastKnown = -1;
    let strong = false;
    let titled = false;
    let afterTitle = 0;
    let initialInside = false;
    const starts: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      starts.push(offset);
      const t = tokens[i]!;
      offset += t.length + 1;
      // The pronoun "I" joins no name (Can I, May I).
      if (PARTICLES.has(t) || t === 'I') continue;
      const lower = bareToken(t).toLowerCase();
      if (TITLES.has(lower)) { titled = true; afterTitle = i + 1; continue; }
      if (i > 0 && i < tokens.length - 1 && isInitial(t)) initialInside = true;
      const isKnown = known(lower);
      const nameish = isKnown || (first >= 0 && (isInitial(t) || i > first));
      if (isKnown && first < 0) first = i;
      if (isKnown) lastKnown = i;
      if (first >= 0 && nameish) last = i;
      if (isKnown && !AMBIGUOUS_NAMES.has(lower)) strong = true;
    }
    // A title or a cue before the run (Dr Okafor, My name is Aantje Mourik), or an initial inside it
    // (Kate M Begum), names a person even when the words are not in the lists.
    if (CUE.test(text.slice(Math.max(0, m.index - 16), m.index))) titled = true;
    if (strict && !titled) {
      // Both ends listed: "Mateo Santos" is a name, "Sao Paulo" and "Urban Threads" are not.
      if (first < 0 || lastKnown <= first) continue;
      last = lastKnown;
    } else {
      if (first < 0 && (titled || initialInside) && afterTitle < tokens.length) { first = afterTitle; last = tokens.length - 1; strong = true; }
      // A capitalised word just before a listed, unambiguous surname is its given name (Xiadani Okafor).
      const lowerFirst = first > afterTitle ? bareToken(tokens[first]!).toLowerCase() : '';
      if (SURNAMES.has(lowerFirst) && !AMBIGUOUS_NAMES.has(lowerFirst) && extendsName(tokens[first - 1]!)) first--;
      if (first < 0) continue;
      if (!strong && last <= first && !titled) continue;
    }
    const lastToken = tokens[last]!;
    const end = starts[last]! + bareToken(lastToken).length + (isInitial(lastToken) && lastToken.endsWith('.') ? 1 : 0);
    out.push({ start: starts[first]!, end, entity: 'person' });
  }
}

/** A word that can be a given name before a surname: not a particle, title, initial or possessive. */
function extendsName(t: string): boolean {
  const lower = t.toLowerCase();
  return t.length >= 2 && !t.endsWith('.') && bareToken(t) === t && !PARTICLES.has(t) && !TITLES.has(lower) && !NOT_GIVEN.has(lower);
}
