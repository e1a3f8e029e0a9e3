// Person names in free text: runs of capitalised words (and initials), each word classed by the word tables
// (a bundled or listed name, an everyday English word, a proper noun that is no name, or unknown), then
// kept as a name on the evidence of the words themselves or of the words around them (a title, a cue such
// as "my name is" or "said", a neighbour in a list of names). A dictionary, capitalisation and context
// cues: fast, predictable and linear; recall and precision measured in bench/anonymize-corpus.ts.
import { FIRST_NAMES, SURNAMES, AMBIGUOUS_NAMES, foldName } from '../data/names.js';
import { COMMON_WORDS, LISTED_NAMES, PROPER_WORDS } from '../data/lexicon.js';
import type { Span } from './types.js';

// Up to five capitalised tokens or initials (`J`, `D.`) separated by single spaces, with lower-case
// particles between them (Amelia de Vries, Ludwig van der Berg). Every quantifier is bounded.
const PARTICLE = '(?:de|van|der|den|von|da|di|du|del|della|la|le|dos|das|do|ten|ter|bin|al|y)';
const RUN = new RegExp(`(?<![\\p{L}\\p{M}'’\\-])\\p{Lu}[\\p{L}\\p{M}'’\\-]{0,30}\\.?(?: (?:${PARTICLE} ){0,2}\\p{Lu}[\\p{L}\\p{M}'’\\-]{0,30}\\.?){0,4}(?![\\p{L}\\p{M}])`, 'gu');
const PARTICLES = new Set(PARTICLE.slice(3, -1).split('|'));
const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'madam', 'mx', 'herr', 'frau', 'mme', 'mlle', 'sr', 'sra', 'dame', 'lady', 'lord']);

// The closed classes of English (pronouns, determiners, question words, auxiliaries, conjunctions,
// prepositions, greetings): capitalised at a sentence start, never a name (The Davis, How, You).
const NOT_GIVEN = new Set(('the a an this that these those my our your his her their its at in on for from to by ' +
  'with and or but of as if so no yes not all any every some each new old ask call i me you he she it we they him ' +
  'them us who whom whose what which where when why how there here then than also just only very too please ' +
  'hello hi hey dear thanks thank okay ok oh well now today tomorrow yesterday is are was were be been am do does ' +
  'did done have has had can could will would shall should may might must let lets about after before during ' +
  'into onto over under between through without within since until upon unlike like near per via nor yet both ' +
  'either neither one two three four five six seven eight nine ten first second third last next other another ' +
  'such same own more most less least many much few several maybe perhaps unfortunately meanwhile however ' +
  'therefore although though because while whether once').split(' '));

// Words that make the capitalised run before them an organisation or a place, not a person.
const ORG_AFTER = new Set(('inc inc. ltd ltd. llc llp plc corp corp. co co. company group gmbh ag sa bv nv holdings ' +
  'partners associates orchestra band agency bank university college institute foundation investments capital ' +
  'consulting technologies technology systems solutions services labs media records hotel hospital school church ' +
  'corporation research software ratings resources energy insurance financial communications networks industries ' +
  'enterprises international global ventures trust fund realty properties logistics analytics transit ' +
  'street st st. road rd rd. avenue ave ave. lane ln drive boulevard blvd way place court square park bridge').split(' '));

// Words just before a run that say a person's name follows (My name is …, Dear …, called …).
const CUE_BEFORE = /(?:name is|name's|name:|name\?|named|called|call me|calls me|dear|hi|hello|hey|thanks|thank you|says|said|asked|told|shouted at|directed by|starring|follow up with|talk to|speak to|spoke to|married|marry|producer|songwriter|commenter|assistant to|meet|met|i'm|i am|this is|my (?:son|daughter|wife|husband|kid|child|partner|friend|boss|colleague|mother|father|mom|dad|brother|sister|uncle|aunt|cousin|nephew|niece|grandson|granddaughter|grandmother|grandfather|manager|doctor|lawyer)|user:)\s{1,4}$/i;
// Words just after a run that say it was a person (… said, … lives at, … is from, …'s wife).
const CUE_AFTER = /^(?:'s|’s)?\s{1,3}(?:said|says|told|asked|explained|wrote|writes|replied|added|shouted|smiled|laughed|lives|lived|lies|was born|died|married|works|worked|spent|began|started|joined|left|moved|thinks|thought|feels|felt|loves|loved|wants|wanted|knows|knew|believes|recalled|is from|was from|is a very|has been|had given|will be|points out|who)\b/i;
const KIN_AFTER = /^(?:'s|’s) (?:son|daughter|wife|husband|kid|child|children|mother|father|mom|dad|brother|sister|partner|friend|family|killers?|novel|version|account|address|phone|email|birthday|car|house)\b/i;

function isInitial(t: string): boolean {
  return t.length <= 2 && (t.length === 1 || t.endsWith('.'));
}

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

// Token classes, from strongest name evidence to none.
const FIRST = 0;      // a bundled given name that is not an everyday word (Sara, Mateo)
const NAME = 1;       // a bundled surname that is not an everyday word (Okafor)
const LISTED = 9;     // in @cspell/dict-people-names only, not an everyday word or known proper noun (Szász)
const UNKNOWN = 2;    // in no table: in English text a rare capitalised word is a name of something
const AMBIG = 3;      // a listed name that is also an everyday word or place (Will, Rose, Jordan)
const INITIAL = 4;
const PARTICLE_T = 5;
const TITLE = 6;
const COMMON = 7;     // an everyday word (Yesterday, Premium)
const PROPER = 8;     // a proper noun that is no listed name (Monday, Norway)

// A contraction (I'm, We'll, Don't) is an everyday word; the possessive 's is stripped by bareToken.
const CONTRACTION = /['’](?:m|ll|re|ve|d|t)$/i;

function classify(t: string): number {
  if (PARTICLES.has(t)) return PARTICLE_T;
  if (t === 'I' || CONTRACTION.test(t)) return COMMON;
  const bare = bareToken(t);
  const lower = bare.toLowerCase();
  if (TITLES.has(lower)) return TITLE;
  if (isInitial(t)) return INITIAL;
  if (NOT_GIVEN.has(lower)) return COMMON;
  const folded = foldName(lower);
  const has = (set: ReadonlySet<string>) => set.has(lower) || set.has(folded);
  const common = has(COMMON_WORDS);
  // The bundled lists are curated: a word there is a name unless it is also an everyday word.
  if (has(FIRST_NAMES)) return common || AMBIGUOUS_NAMES.has(lower) ? AMBIG : FIRST;
  if (has(SURNAMES)) return common || AMBIGUOUS_NAMES.has(lower) ? AMBIG : NAME;
  // The large list also holds places, days and words (South, Sunday, Canada): a capitalised word in
  // SUBTLEX-US stays ambiguous there.
  const proper = has(PROPER_WORDS);
  if (has(LISTED_NAMES)) return common || proper ? AMBIG : LISTED;
  if (common) return COMMON;
  if (proper) return PROPER;
  return UNKNOWN;
}

function nameish(c: number): boolean {
  return c === FIRST || c === NAME || c === LISTED || c === UNKNOWN || c === AMBIG || c === INITIAL || c === PARTICLE_T;
}

/**
 * `strict` is for structured values (a JSON, form or query value that is not prose): there a merchant,
 * city or brand is often one or two capitalised words that happen to be in the name lists, so a run is
 * a name only after a title or cue, or when its first and last words are both listed names.
 */
export function detectPerson(text: string, out: Span[], strict = false): void {
  const firms = firmNames(text);
  const from = out.length;
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
    const tokens = m[0].split(' ');
    const starts: number[] = [];
    const classes: number[] = [];
    let offset = m.index;
    for (const t of tokens) { starts.push(offset); offset += t.length + 1; classes.push(classify(t)); }
    // Split the run into segments of name-like tokens; titles, everyday words and places break it.
    let i = 0;
    while (i < tokens.length) {
      if (!nameish(classes[i]!) || classes[i] === PARTICLE_T) { i++; continue; }
      let j = i;
      while (j + 1 < tokens.length && nameish(classes[j + 1]!)) j++;
      // A trailing particle or a run that ends with a period-less initial does not end a name.
      while (j > i && classes[j] === PARTICLE_T) j--;
      const titled = i > 0 && classes[i - 1] === TITLE;
      judge(text, tokens, starts, classes, i, j, titled, strict, out);
      i = j + 1;
    }
  }
  if (firms.length > 0) dropInside(out, from, firms);
}

// "Jones, Mitchell and Williams": three surnames in a row name a firm (law firms, agencies, bands); a
// list of people gives at least one of them a given name.
const FIRM = /(?<![\p{L}\p{M}'’\-])\p{Lu}[\p{L}\p{M}'’\-]{1,30}, \p{Lu}[\p{L}\p{M}'’\-]{1,30},? (?:and|&) \p{Lu}[\p{L}\p{M}'’\-]{1,30}(?![\p{L}\p{M}])/gu;

function firmNames(text: string): [number, number][] {
  if (!text.includes(' and ') && !text.includes(' & ')) return [];
  const firms: [number, number][] = [];
  FIRM.lastIndex = 0;
  for (let m = FIRM.exec(text); m !== null; m = FIRM.exec(text)) {
    const words = m[0].split(/,? (?:and |& )?/);
    if (words.every((w) => classify(w) !== FIRST)) firms.push([m.index, m.index + m[0].length]);
  }
  return firms;
}

function dropInside(out: Span[], from: number, firms: readonly [number, number][]): void {
  let w = from;
  for (let r = from; r < out.length; r++) {
    const s = out[r]!;
    if (!firms.some(([a, b]) => s.start >= a && s.end <= b)) out[w++] = s;
  }
  out.length = w;
}

function judge(text: string, tokens: string[], starts: number[], classes: number[], i: number, j: number,
  titled: boolean, strict: boolean, out: Span[]): void {
  const start = starts[i]!;
  const lastToken = tokens[j]!;
  const end = starts[j]! + bareToken(lastToken).length + (isInitial(lastToken) && lastToken.endsWith('.') ? 1 : 0);
  let firsts = 0; let names = 0; let unknown = 0; let ambig = 0; let initials = 0;
  for (let k = i; k <= j; k++) {
    const c = classes[k]!;
    if (c === FIRST) firsts++; else if (c === NAME || c === LISTED) names++; else if (c === UNKNOWN) unknown++; else if (c === AMBIG) ambig++; else if (c === INITIAL) initials++;
  }
  const words = firsts + names + unknown + ambig;
  if (words === 0) return;
  for (let k = i; k <= j; k++) if (ORG_AFTER.has(bareToken(tokens[k]!).toLowerCase())) return;
  const after = text.slice(end, end + 28);
  // The word after the run: Davis Inc., Williamson Orchestra, Dale Street are no persons.
  const nextWord = / ([\p{L}.]{1,14})/uy.exec(text.slice(end, end + 16))?.[1]?.toLowerCase();
  if (nextWord !== undefined && ORG_AFTER.has(nextWord)) return;
  const cued = titled || CUE_BEFORE.test(text.slice(Math.max(0, start - 24), start)) || CUE_AFTER.test(after) || KIN_AFTER.test(after);
  const listed = firsts + names;
  let person: boolean;
  if (strict) {
    // Both ends in the bundled lists: "Mateo Santos" is a name, "Sao Paulo" and "Urban Threads" are not.
    person = cued || (j > i && isBundled(tokens[i]!) && isBundled(tokens[j]!));
  } else if (cued) {
    person = true;
  } else if (words >= 2) {
    // Two name-like words with one listed (Xiadani Okafor), or an initial between two words (Kate M Begum).
    person = listed >= 1 || (initials >= 1 && words >= 2);
  } else {
    // One word: a listed, unambiguous name (Okafor), or a given name with its initial (Chise T.).
    person = listed === 1 || (ambig === 1 && initials >= 1);
  }
  if (person) out.push({ start, end, entity: 'person' });
}

function isBundled(t: string): boolean {
  const lower = bareToken(t).toLowerCase();
  return FIRST_NAMES.has(lower) || SURNAMES.has(lower);
}
