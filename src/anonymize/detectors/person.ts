// Person names in free text: runs of capitalised words (and initials), each word classed by the word tables
// (a bundled or listed name, an everyday English word, a proper noun that is no name, or unknown), then
// kept as a name on the evidence of the words themselves or of the words around them (a title, a cue such
// as "my name is" or "said", a neighbour in a list of names). A dictionary, capitalisation and context
// cues: fast, predictable and linear; recall and precision measured in bench/anonymize-corpus.ts.
import { W_AMBIGUOUS, W_COMMON, W_FIRST, W_LISTED, W_PROPER, W_SURNAME, lowerWordFlags, wordFlags } from '../data/lexicon.js';
import { nextCapitalRun } from './capitals.js';
import { localParts } from './email.js';
import { classifyKey } from './key-names.js';
import type { Span } from './types.js';

// Up to five capitalised tokens or initials (`J`, `D.`) separated by single spaces, with lower-case
// particles between them (Amelia de Vries, Ludwig van der Berg). Every quantifier is bounded.
const PARTICLE = '(?:de|van|der|den|von|da|di|du|del|della|la|le|dos|das|do|ten|ter|bin|al|y)';
// The capital comes before the look-behind; sticky, tried only where a capital starts (capitals.ts).
export const RUN = new RegExp(`\\p{Lu}(?<![\\p{L}\\p{M}'’\\-]\\p{Lu})[\\p{L}\\p{M}'’\\-]{0,30}\\.?(?: (?:${PARTICLE} ){0,2}\\p{Lu}[\\p{L}\\p{M}'’\\-]{0,30}\\.?){0,4}(?![\\p{L}\\p{M}])`, 'uy');
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
  'street st st. road rd rd. avenue ave ave. lane ln drive boulevard blvd way place court square park bridge greens courts ' +
  'gardens crescent terrace bypass parkway highway plaza mews alley trail circle ' +
  'pharmaceuticals pharma bioscience biosciences therapeutics laboratories motors airlines airways brands foods stores ' +
  'healthcare clinic museum studios productions entertainment publishing press magazine journal club league union ' +
  'council committee association society federation ministry department authority commission ' +
  'county city valley island islands beach springs falls heights hills harbor harbour bay lake river mountain mountains ' +
  'airport station province district region').split(' '));

// Words just before a run that say a person's name follows (My name is …, Dear …, called …), looked up by
// their last word so that no regex runs backwards over the text.
const CUES_BEFORE = ['name is', "name's", 'name:', 'name?', 'named', 'called', 'call me', 'calls me', 'dear', 'hi', 'hello',
  'hey', 'thanks', 'thank you', 'says', 'said', 'asked', 'told', 'shouted at', 'directed by', 'starring', 'follow up with',
  'talk to', 'speak to', 'spoke to', 'married', 'producer', 'songwriter', "i'm", 'i’m', 'i am', 'this is', 'user:',
  "je m'appelle", 'je m’appelle', 'me llamo', 'mi chiamo', 'ich heiße', 'ich heisse', 'mein name ist', 'meu nome é',
  'меня зовут', 'με λένε',
  // Who did something to or for a person, who made a work: verbs and phrases whose object or agent is a person.
  'written by', 'signed by', 'sung by', 'performed by', 'played by', 'painted by', 'authored by', 'composed by',
  'narrated by', 'illustrated by', 'interviewed by', 'approved by', 'reviewed by', 'submitted by', 'requested by',
  'prepared by', 'addressed to', 'met with', 'meet with', 'meeting with', 'talked to',
  'talked with', 'spoke with', 'speak with', 'talk with', 'chat with', 'ask', 'tell', 'contact', 'contacted', 'emailed',
  'texted', 'attn:', 'attention:', 'c/o', 'regards,', 'sincerely,', 'cheers,', 'signed,',
  // A work and its maker: "a song by X", "the novel by X", "a painting by X".
  ...['song', 'songs', 'album', 'novel', 'novels', 'book', 'books', 'poem', 'poems', 'painting', 'paintings', 'film', 'movie',
    'play', 'essay', 'article', 'biography', 'memoir', 'track', 'single', 'record', 'symphony', 'opera', 'sculpture']
    .map((k) => `${k} by`),
  // A role just before a name (songwriter Jennifer Umkhayev, the patient Ivo Rosa, her brother Tom).
  ...['author', 'writer', 'novelist', 'poet', 'singer', 'rapper', 'actor', 'actress', 'painter', 'composer', 'guitarist',
    'drummer', 'bassist', 'pianist', 'violinist', 'musician', 'vocalist', 'coach', 'professor', 'senator', 'governor',
    'mayor', 'ceo', 'founder', 'chairman', 'chairwoman', 'spokesperson', 'spokesman', 'spokeswoman', 'journalist',
    'reporter', 'nurse', 'detective', 'attorney', 'patient', 'client', 'customer', 'employee', 'colleague', 'neighbour',
    'neighbor', 'brother', 'sister', 'son', 'daughter', 'wife', 'husband', 'uncle', 'aunt', 'cousin', 'nephew', 'niece',
    'grandson', 'granddaughter', 'grandmother', 'grandfather', 'girlfriend', 'boyfriend', 'fiancé', 'fiancée'],
  ...['son', 'daughter', 'wife', 'husband', 'kid', 'child', 'partner', 'friend', 'boss', 'colleague', 'mother', 'father',
    'mom', 'dad', 'brother', 'sister', 'uncle', 'aunt', 'cousin', 'nephew', 'niece', 'manager', 'doctor', 'lawyer']
    .map((k) => `my ${k}`)];
const CUE_BY_LAST_WORD = byLastWord(CUES_BEFORE);

function byLastWord(cues: readonly string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const c of cues) {
    const last = c.slice(c.lastIndexOf(' ') + 1);
    m.set(last, [...(m.get(last) ?? []), c]);
  }
  return m;
}
// Words just after a run that say it was a person (… said, … lives at, … is from) or whose kin follows.
const CUE_AFTER = /^(?:'s|’s)?\s{1,3}(?:said|says|told|asked|explained|wrote|writes|replied|added|shouted|smiled|laughed|lives|lived|was born|died|married|works|worked|spent|began|started|joined|moved|thinks|thought|feels|felt|loves|loved|wants|wanted|knows|knew|believes|recalled|is from|was from|will be|is very|was very|is always|had given|has given|gave|agreed|decided|helped|paid|ordered|bought|booked|requested|received|emailed|texted|signed|sang|played|met|visited|cried|sighed|nodded|whispered|complained|suggested|mentioned|noticed|realized|realised|admitted|claimed|argued|insisted|promised|confirmed|denied|apologized|apologised|answered|responded|commented|stated|announced|remarked|himself|herself)\b/i;
const WORK_AFTER = /^ (?:novels?|songs?|albums?|biography|memoirs?|poems?|paintings?|lyrics|family|household|estate|twins|siblings)\b/;
// "Ruoho, who …": a relative pronoun for people.
const WHO_AFTER = /^, (?:who|whom|whose)\b/i;
const KIN_AFTER = /^(?:'s|’s) (?:son|daughter|wife|husband|kid|child|children|mother|father|mom|dad|brother|sister|partner|friend|family|birthday|phone|cell|mobile|email|e-mail|address|account|credit|card|passport|licen[cs]e|salary|password|profile|appointment|medical|doctor|boss|girlfriend|boyfriend|fiancée?|parents|grandmother|grandfather|uncle|aunt|cousin|nephew|niece)\b/i;
// "Ruoho, 34, …", "Ruoho and I …", "call Ruoho at 555 …" / "Ruoho at ruoho@…": an age, the speaker beside
// them, a way to reach them.
const NEAR_AFTER = /^(?:, (?:aged )?\d{1,2},| and (?:I|me)\b| at (?:\+|\(|\d{3}|[\w.+-]{1,40}@))/;

/** True when the text just before `start` ends with a cue (case-insensitive, on a word boundary). */
function cuedBefore(text: string, start: number): boolean {
  let e = start;
  while (e > 0 && e > start - 4 && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 10)) e--;
  return e < start && endsWithCue(text, e, CUE_BY_LAST_WORD);
}

/** True when the text ending at `e` ends with one of the cues (case-insensitive, on a word boundary). */
function endsWithCue(text: string, e: number, byLast: ReadonlyMap<string, readonly string[]>): boolean {
  let b = e;
  while (b > 0 && b > e - 12 && !isSpace(text.charCodeAt(b - 1))) b--;
  const word = text.slice(b, e);
  const cues = byLast.get(word) ?? byLast.get(word.toLowerCase());
  if (cues === undefined) return false;
  const before = text.slice(Math.max(0, e - 20), e).toLowerCase();
  return cues.some((c) => before.endsWith(c) && (before.length === c.length || !/[\p{L}]/u.test(before[before.length - c.length - 1]!)));
}

// JSON read as text (a decoded base64 layer, a log line, a JSON body sent as text/plain): `"name": "…"`,
// `"given": ["…", "…"]`. Bounded key and value lengths; linear.
const JSON_MEMBER = /"([A-Za-z_][\w\- ]{0,39})"\s{0,3}:\s{0,3}(\[\s{0,3})?"([^"\\]{1,80})"/g;
const JSON_NEXT = /\s{0,3},\s{0,3}"([^"\\]{1,80})"/y;

/** Each string value (or array of strings) whose key names a person, whatever its case or script. */
function jsonKeyedNames(text: string, out: Span[]): void {
  JSON_MEMBER.lastIndex = 0;
  for (let m = JSON_MEMBER.exec(text); m !== null; m = JSON_MEMBER.exec(text)) {
    const entity = classifyKey(m[1]!);
    if (entity !== 'person' && entity !== 'person_first' && entity !== 'person_last') continue;
    let end = m.index + m[0].length;
    if (nameValue(m[3]!)) out.push({ start: end - 1 - m[3]!.length, end: end - 1, entity: 'person' });
    if (m[2] === undefined) continue;
    JSON_NEXT.lastIndex = end;
    for (let n = JSON_NEXT.exec(text); n !== null; n = JSON_NEXT.exec(text)) {
      end = n.index + n[0].length;
      if (nameValue(n[1]!)) out.push({ start: end - 1 - n[1]!.length, end: end - 1, entity: 'person' });
    }
    JSON_MEMBER.lastIndex = end;
  }
}

// What a name's value looks like: letters, marks, apostrophes, dots, hyphens and up to four spaces.
const NAME_VALUE = /^[\p{L}\p{M}][\p{L}\p{M}'’.\- ]{0,79}$/u;

/**
 * A value under a person key read from text: `get_weather`, `gpt-4` or `assistant` (a tool, a model, a role
 * under `name` in an API payload) are no names; a single everyday word is not taken either.
 */
function nameValue(v: string): boolean {
  if (!NAME_VALUE.test(v)) return false;
  let spaces = 0;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) === 32) spaces++;
  if (spaces > 4) return false;
  if (spaces > 0) return true;
  const f = wordFlags(v);
  return (f & W_COMMON) === 0 || (f & (W_FIRST | W_SURNAME)) !== 0;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

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

// Token classes (numbers are labels, not an order).
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
const ORG_WORD = 10;  // a word that makes the names before it a firm, band or street (Inc., Orchestra, Street)

// A contraction (I'm, We'll, Don't) is an everyday word; the possessive 's is stripped by bareToken.
const CONTRACTION = /['’](?:m|ll|re|ve|d|t)$/i;

// The small closed vocabularies in one map: a single lookup before the word tables.
const CLOSED = new Map<string, number>();
for (const w of ORG_AFTER) CLOSED.set(w, ORG_WORD);
for (const w of NOT_GIVEN) CLOSED.set(w, COMMON);
for (const w of TITLES) CLOSED.set(w, TITLE);

function classify(t: string): number {
  const c0 = t.charCodeAt(0);
  if (c0 >= 97 && c0 <= 122 && PARTICLES.has(t)) return PARTICLE_T;
  if (t === 'I' || ((t.indexOf("'") > 0 || t.indexOf('’') > 0) && CONTRACTION.test(t))) return COMMON;
  const lower = bareToken(t).toLowerCase();
  const closed = CLOSED.get(lower);
  if (closed === TITLE) return TITLE;
  if (isInitial(t)) return INITIAL;
  if (closed !== undefined) return closed;
  const f = lowerWordFlags(lower);
  const common = (f & W_COMMON) !== 0;
  // The bundled lists are curated: a word there is a name unless it is also an everyday word.
  if ((f & W_FIRST) !== 0) return common || (f & W_AMBIGUOUS) !== 0 ? AMBIG : FIRST;
  if ((f & W_SURNAME) !== 0) return common || (f & W_AMBIGUOUS) !== 0 ? AMBIG : NAME;
  // The large list also holds places, days and words (South, Sunday, Canada): a word that SUBTLEX-US
  // writes with a capital stays ambiguous there.
  const proper = (f & W_PROPER) !== 0;
  if ((f & W_LISTED) !== 0) return common || proper ? AMBIG : LISTED;
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
  const from = out.length;
  const maybe: Span[] = [];
  let runs = 0;
  for (let m = nextCapitalRun(RUN, text, 0); m !== null; m = nextCapitalRun(RUN, text, m.index + m[0].length)) {
    runs++;
    let tokens: string[];
    let starts: number[];
    let classes: number[];
    if (m[0].indexOf(' ') < 0) {
      // Most runs are one capitalised word at a sentence start (The, How, Yesterday).
      const c = classify(m[0]);
      if (!nameish(c)) continue;
      tokens = [m[0]]; starts = [m.index]; classes = [c];
    } else {
      tokens = m[0].split(' ');
      starts = [];
      classes = [];
      let offset = m.index;
      for (const t of tokens) { starts.push(offset); offset += t.length + 1; classes.push(classify(t)); }
      // After a particle a capitalised everyday word is a family name (Willemine ten Pas, Jan de Wit).
      for (let k = 1; k < classes.length; k++) if (classes[k] === COMMON && classes[k - 1] === PARTICLE_T && !CLOSED.has(tokens[k]!.toLowerCase())) classes[k] = AMBIG;
    }
    // Split the run into segments of name-like tokens; titles, everyday words and places break it.
    let i = 0;
    while (i < tokens.length) {
      if (!nameish(classes[i]!) || classes[i] === PARTICLE_T) { i++; continue; }
      let j = i;
      while (j + 1 < tokens.length && nameish(classes[j + 1]!)) j++;
      // A trailing particle does not end a name.
      while (j > i && classes[j] === PARTICLE_T) j--;
      // After a cue, a short capitalised word ending the run is the last given name (Nguyễn Văn An, Lý Long).
      if (j > i && j + 2 === tokens.length && classes[j + 1] === COMMON && tokens[j + 1]!.length <= 4 && cuedBefore(text, starts[i]!)) {
        classes[++j] = AMBIG;
      }
      const titled = i > 0 && classes[i - 1] === TITLE;
      judge(text, tokens, starts, classes, i, j, titled, strict, out, maybe);
      i = j + 1;
    }
  }
  if (maybe.length > 0 && text.indexOf('@') >= 0) namedInEmail(text, out, from, maybe);
  if (maybe.length > 0) joinLists(text, out, from, maybe);
  if (out.length > from) repeatedNames(text, out, from);
  if (!strict) lowerCaseCued(text, out);
  // A text written all in lower case has lost the capitals' evidence: there a word of the bundled lists
  // that is no everyday word, place or brand is a name, with the initials and unlisted words beside it.
  if (!strict && runs === 0 && lowerCaseText(text, out)) dropInside(out, from, lowerFirms(text));
  if (text.length > 3) caselessCued(text, out);
  if (text.indexOf('":') >= 0) jsonKeyedNames(text, out);
  if (out.length > from) dropInside(out, from, firmNames(text));
}

/** At most this many words of found names are looked for again: each costs one indexOf pass over the text. */
const REPEAT_WORDS = 8;

/**
 * A word of a name found is the same person's name elsewhere in the text ("Thaddeus Ruoho said … Ruoho
 * had given"): each other capitalised occurrence of it is taken too. Only words that are names and nothing
 * else (not an everyday word or an ambiguous name) spread; up to REPEAT_WORDS indexOf passes (linear).
 */
function repeatedNames(text: string, out: Span[], from: number): void {
  const words: string[] = [];
  for (let k = from; k < out.length && words.length < REPEAT_WORDS; k++) {
    const sp = out[k]!;
    let s = sp.start;
    while (s < sp.end && words.length < REPEAT_WORDS) {
      let e = s;
      while (e < sp.end && text.charCodeAt(e) !== 32) e++;
      const b = bareToken(text.slice(s, e));
      if (b.length >= 3 && upper(b.charCodeAt(0)) && !words.includes(b)) {
        const c = classify(b);
        if (c === FIRST || c === NAME || c === LISTED || c === UNKNOWN || (c === AMBIG && (wordFlags(b) & (W_COMMON | W_AMBIGUOUS)) === 0)) words.push(b);
      }
      s = e + 1;
    }
  }
  if (words.length === 0) return;
  const found: Span[] = [];
  for (const w of words) {
    for (let at = text.indexOf(w); at >= 0; at = text.indexOf(w, at + w.length)) {
      const end = at + w.length;
      if ((at > 0 && nameChar(text.charCodeAt(at - 1))) || (end < text.length && nameChar(text.charCodeAt(end)) && !possessive(text, end))) continue;
      const next = /^ (\S+)/.exec(text.slice(end, end + 32));
      if (next !== null && CLOSED.get(bareToken(next[1]!).toLowerCase()) === ORG_WORD) continue;
      found.push({ start: at, end, entity: 'person' });
    }
  }
  if (found.length === 0) return;
  // Keep those no span found covers: one sweep over both lists in text order.
  const tail = out.splice(from).sort((a, b) => a.start - b.start);
  found.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  let t = 0;
  for (const f of found) {
    while (t < tail.length && tail[t]!.end <= f.start) merged.push(tail[t++]!);
    let overlaps = false;
    for (let u = t; u < tail.length && tail[u]!.start < f.end; u++) overlaps = true;
    const last = merged[merged.length - 1];
    if (!overlaps && (last === undefined || last.end <= f.start)) merged.push(f);
  }
  while (t < tail.length) merged.push(tail[t++]!);
  for (const sp of merged) out.push(sp);
}

function possessive(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  return (c === 39 || c === 0x2019) && text.charCodeAt(end + 1) === 115 && !nameChar(text.charCodeAt(end + 2) || 32);
}

/**
 * A lone capitalised word that the text's own email address spells (Ruoho … rruoho@example.com, Samira …
 * SamiraVasilyeva@…) is that person's name: people's addresses are made of their names.
 */
function namedInEmail(text: string, out: Span[], from: number, maybe: Span[]): void {
  const locals = localParts(text, 16);
  if (locals.length === 0) return;
  let added = false;
  for (const mb of maybe) {
    if (mb.end < 0 || mb.end - mb.start < 3) continue;
    const w = text.slice(mb.start, mb.end).toLowerCase();
    if (!locals.some((l) => l.includes(w))) continue;
    out.push({ start: mb.start, end: mb.end, entity: 'person' });
    mb.end = -1;
    added = true;
  }
  if (added) {
    const tail = out.splice(from).sort((a, b) => a.start - b.start);
    for (const sp of tail) out.push(sp);
  }
}

// Words that join the items of a list: "Usamov and Bowers", "Efimiya, Mary, Ariana and Jodi".
const JOINERS = [' and ', ', ', ', and ', ' & ', ' or ', ' und ', ' et ', ' y '];

/**
 * A capitalised word that is not an everyday one, joined by "and", "or" or a comma to a name found, is a
 * name too. Propagates along a list, a bounded number of rounds, with set lookups only.
 */
function joinLists(text: string, out: Span[], from: number, maybe: Span[]): void {
  const starts = new Set<number>();
  const ends = new Set<number>();
  for (let k = from; k < out.length; k++) { starts.add(out[k]!.start); ends.add(out[k]!.end); }
  let added = false;
  for (let round = 0; round < 4; round++) {
    let grew = false;
    for (let k = 0; k < maybe.length; k++) {
      const mb = maybe[k]!;
      if (mb.end < 0) continue;
      const joined = JOINERS.some((j) => (ends.has(mb.start - j.length) && text.startsWith(j, mb.start - j.length)) ||
        (starts.has(mb.end + j.length) && text.startsWith(j, mb.end)));
      if (!joined) continue;
      out.push({ start: mb.start, end: mb.end, entity: 'person' });
      starts.add(mb.start); ends.add(mb.end);
      mb.end = -1;
      grew = added = true;
    }
    if (!grew) break;
  }
  if (added) {
    const tail = out.splice(from).sort((a, b) => a.start - b.start);
    for (const s of tail) out.push(s);
  }
}

// Lower-case text after a cue that names a person: "my name is borna jerković", "call me višeslav",
// "follow up with patricia desrosiers", "name: hyuuma t. maida". One to three words, each an initial or a
// word that is no everyday English word.
const LOWER_CUES = /(?:[Mm]y name is|[Nn]ame:|[Cc]alls? me|[Ff]ollow up with)[ \t]{1,6}/g;
// The cues a chat transcript writes before a name it does not capitalise: "this is john smith", "i'm mary
// jones", "hi anna kowalski". They also come before everyday words ("this is great", "i'm sorry", "hi all"),
// so after them only a full name counts: a bundled given name that is no everyday word, place or brand,
// then a listed surname (or a word in no table), each no everyday word. One regex pass finds them all.
const WEAK_CUES = /(?:[Tt]his is|[Ii]['’]m|[Ii] am|[Ii]t['’]s|[Hh]i|[Hh]ello|[Hh]ey|[Dd]ear|[Tt]hanks|name['’]s)[ \t]{1,5}(?=[a-z])/g;
const LOWER_WORD = /\p{Ll}[\p{Ll}\p{M}'’\-]{0,30}\.?/uy;
// What a text without capitals must hold for any lower-case cue to be in it (a fast pre-check).
const LOWER_HINTS = ['name', 'call', 'follow up', 'this is', "'m ", '’m ', 'i am', "it's", 'it’s', 'hi ', 'hello', 'hey',
  'dear', 'thank'];

/** True when a text without capitals may still hold a name after a cue ("my name is dagny haugland"). */
export function mayNameInLowerCase(text: string): boolean {
  for (const h of LOWER_HINTS) if (text.includes(h)) return true;
  return false;
}

function lowerCaseCued(text: string, out: Span[]): void {
  if (text.indexOf('name') >= 0 || text.indexOf('all') >= 0 || text.indexOf('follow up') >= 0) {
    LOWER_CUES.lastIndex = 0;
    for (let m = LOWER_CUES.exec(text); m !== null; m = LOWER_CUES.exec(text)) {
      if (m.index === 0 || !nameChar(text.charCodeAt(m.index - 1))) lowerName(text, m.index + m[0].length, out);
    }
  }
  WEAK_CUES.lastIndex = 0;
  for (let m = WEAK_CUES.exec(text); m !== null; m = WEAK_CUES.exec(text)) {
    if (m.index === 0 || !nameChar(text.charCodeAt(m.index - 1))) lowerFullName(text, m.index + m[0].length, out);
  }
}

function lowerName(text: string, pos: number, out: Span[]): void {
  const start = pos;
  let end = -1;
  let words = 0;
  for (let w = 0; w < 3; w++) {
    LOWER_WORD.lastIndex = pos;
    const wm = LOWER_WORD.exec(text);
    if (wm === null) break;
    const t = wm[0];
    const c = classify(t);
    if (!(c === INITIAL || c === FIRST || c === NAME || c === LISTED || c === UNKNOWN)) break;
    if (c !== INITIAL) words++;
    end = pos + bareToken(t).length + (isInitial(t) && t.endsWith('.') ? 1 : 0);
    pos += t.length;
    if (text.charCodeAt(pos) !== 32) break;
    pos++;
  }
  if (words > 0 && end > start) out.push({ start, end, entity: 'person' });
}

/** A lower-case full name after a transcript cue: a given name, an optional initial, a surname. */
function lowerFullName(text: string, pos: number, out: Span[]): void {
  const start = pos;
  LOWER_WORD.lastIndex = pos;
  const given = LOWER_WORD.exec(text);
  if (given === null || given[0].endsWith('.')) return;
  const gf = lowerWordFlags(given[0]);
  if ((gf & W_FIRST) === 0 || (gf & (W_COMMON | W_AMBIGUOUS)) !== 0) return;
  pos += given[0].length;
  if (text.charCodeAt(pos) !== 32) return;
  pos++;
  LOWER_WORD.lastIndex = pos;
  let last = LOWER_WORD.exec(text);
  if (last !== null && isInitial(last[0]) && text.charCodeAt(pos + last[0].length) === 32) {
    pos += last[0].length + 1;
    LOWER_WORD.lastIndex = pos;
    last = LOWER_WORD.exec(text);
  }
  if (last === null || isInitial(last[0])) return;
  const bare = bareToken(last[0]);
  const lf = lowerWordFlags(bare);
  if ((lf & W_COMMON) !== 0 || ((lf & (W_SURNAME | W_LISTED)) === 0 && (lf !== 0 || bare.length < 3))) return;
  out.push({ start, end: pos + bare.length, entity: 'person' });
}

const LOWER_TOKEN = /\p{Ll}[\p{Ll}\p{M}'’\-]{0,30}\.?/gu;

// "owens, duran and oneal" in lower case: three words in a list, none a bundled given name, name a firm.
const LOWER_FIRM = /(?<![\p{L}\p{M}])(\p{Ll}{2,30}), (\p{Ll}{2,30}),? (?:and|&) (\p{Ll}{2,30})(?![\p{L}\p{M}])/gu;

function lowerFirms(text: string): [number, number][] {
  const firms: [number, number][] = [];
  LOWER_FIRM.lastIndex = 0;
  for (let m = LOWER_FIRM.exec(text); m !== null; m = LOWER_FIRM.exec(text)) {
    if ([m[1]!, m[2]!, m[3]!].every((w) => (lowerWordFlags(w) & W_FIRST) === 0)) firms.push([m.index, m.index + m[0].length]);
  }
  return firms;
}

/** Names in an all-lower-case text; true when one was found. */
function lowerCaseText(text: string, out: Span[]): boolean {
  const before = out.length;
  LOWER_TOKEN.lastIndex = 0;
  let prevEnd = -2;
  let prevStart = -1;
  let prevKind = 0; // 0 none, 1 initial or unlisted word, 2 name
  let spanStart = -1;
  let spanEnd = -1;
  let hasName = false;
  const flush = () => {
    if (hasName && spanEnd > spanStart) out.push({ start: spanStart, end: spanEnd, entity: 'person' });
    spanStart = -1; hasName = false;
  };
  for (let m = LOWER_TOKEN.exec(text); m !== null; m = LOWER_TOKEN.exec(text)) {
    const t = m[0];
    const adjacent = m.index === prevEnd + 1 && text.charCodeAt(prevEnd) === 32;
    let kind = 0;
    if (isInitial(t)) kind = 1;
    else {
      const f = lowerWordFlags(bareToken(t));
      // A listed name that is no everyday word or place (selma), or a word in no table with a surname's
      // ending (bártová, bergsveinsson): the evidence a capitalised word alone needs in cased text.
      if ((f & (W_FIRST | W_SURNAME | W_LISTED)) !== 0 && (f & (W_COMMON | W_AMBIGUOUS | W_PROPER)) === 0 && !CONTRACTION.test(t)) {
        // … but a word only the large list knows, after "returned to" or "in", is as likely a town (kiel).
        // Short ones (los, san) are mostly the first word of a place.
        const only = (f & (W_FIRST | W_SURNAME)) === 0;
        // After an everyday content word it is the end of a compound (wells fargo, costa rica).
        const compound = adjacent && prevKind === 0 && !NOT_GIVEN.has(text.slice(prevStart, prevEnd));
        kind = only && (t.length < 4 || compound || afterPlaceWord(text, m.index) || placeCued(text, m.index)) ? 1 : 2;
      }
      else if (f === 0 && t.length >= 5 && SURNAME_ENDING.test(bareToken(t))) kind = 2;
      else if ((f === 0 || (f & (W_COMMON | W_PROPER | W_AMBIGUOUS)) === 0) && t.length >= 4 && !PARTICLES.has(t)) kind = 1;
    }
    const end = m.index + bareToken(t).length + (isInitial(t) && t.endsWith('.') ? 1 : 0);
    if (kind === 0 || !adjacent) flush();
    if (kind !== 0) {
      if (spanStart < 0) {
        spanStart = m.index;
        // An unlisted word or initial just before the first name joins it (emidio p lombardo).
        if (adjacent && prevKind === 1 && kind === 2) spanStart = prevStart;
      }
      spanEnd = end;
      if (kind === 2) hasName = true;
    }
    prevEnd = m.index + t.length; prevStart = m.index; prevKind = kind;
    // A possessive ends the name (francesco trotta's avatar).
    if (kind !== 0 && bareToken(t).length !== t.length && !t.endsWith('.')) flush();
  }
  flush();
  return out.length > before;
}

// Names in scripts without capitals (Han, Kana, Hangul, Arabic, Hebrew, Thai, Devanagari, …) after the
// same cues ("My name is 王小明", "this is محمد علي") or after the cue of their own language (我叫王小明,
// اسمي محمد علي). In a script written without spaces the name is cut where the sentence goes on: at
// punctuation, at the hiragana that follows a kanji name, and after three characters of a longer run.
// The scripts written without case: Hebrew, Arabic, Syriac, Thaana, the Indic scripts, Thai, Lao, Hangul
// Jamo, Kana, Han, Hangul syllables, CJK compatibility ideographs.
const CASELESS_RANGES = '\\u0590-\\u08ff\\u0900-\\u0dff\\u0e00-\\u0eff\\u1100-\\u11ff\\u3040-\\u30ff\\u3400-\\u9fff\\uac00-\\ud7af\\uf900-\\ufaff';
const CASELESS = new RegExp(`[${CASELESS_RANGES}]`);
// A space, then a letter of such a script: where a name may follow an English cue. Literal-led: fast.
const SPACE_CASELESS = new RegExp(` [${CASELESS_RANGES}]`, 'g');
const CASELESS_WORDS = /\p{Lo}[\p{Lo}\p{M}]{0,30}(?: \p{Lo}[\p{Lo}\p{M}]{0,30}){0,2}/uy;
const NATIVE_WORDS = /\p{Lo}[\p{Lo}\p{M}]{0,30}(?: \p{Lo}[\p{Lo}\p{M}]{0,30}){0,1}/uy;
const NATIVE_CUES = ['我叫', '我名叫', '我的名字是', '我的名字叫', '名字叫', '私の名前は', '僕の名前は', '제 이름은', '내 이름은',
  'اسمي', 'إسمي', 'שמי', 'השם שלי', 'मेरा नाम', 'ชื่อ'];

function caselessCued(text: string, out: Span[]): void {
  if (!CASELESS.test(text)) return;
  SPACE_CASELESS.lastIndex = 0;
  for (let m = SPACE_CASELESS.exec(text); m !== null; m = SPACE_CASELESS.exec(text)) {
    const start = m.index + 1;
    // The English and European cues end in Latin, Greek or Cyrillic: a caseless word before the space is none.
    const before = text.charCodeAt(m.index - 1);
    if (before >= 0x590 || !cuedBefore(text, start)) continue;
    CASELESS_WORDS.lastIndex = start;
    const w = CASELESS_WORDS.exec(text);
    if (w === null) continue;
    pushCaseless(w[0], start, out);
    SPACE_CASELESS.lastIndex = start + w[0].length;
  }
  for (const cue of NATIVE_CUES) {
    for (let at = text.indexOf(cue); at >= 0; at = text.indexOf(cue, at + cue.length)) {
      let pos = at + cue.length;
      while (pos < text.length && pos - at - cue.length < 2 && text.charCodeAt(pos) === 32) pos++;
      NATIVE_WORDS.lastIndex = pos;
      const m = NATIVE_WORDS.exec(text);
      if (m !== null) pushCaseless(m[0], pos, out);
    }
  }
}

function unspaced(c: number): boolean {
  return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff);
}

function pushCaseless(run: string, start: number, out: Span[]): void {
  let end = run.length;
  if (unspaced(run.charCodeAt(0))) {
    // A kanji name ends where hiragana (a particle, です) begins; a long run is cut to three characters.
    const han = run.charCodeAt(0) >= 0x3400;
    let k = 1;
    while (k < end && run.charCodeAt(k) !== 32 && !(han && run.charCodeAt(k) >= 0x3040 && run.charCodeAt(k) <= 0x309f)) k++;
    end = k > 4 ? 3 : k;
    // A family name, a space, a given name (山田 太郎, 김 민준).
    if (k <= 3 && run.charCodeAt(k) === 32) {
      let k2 = k + 1;
      while (k2 < run.length && run.charCodeAt(k2) !== 32 && !(han && run.charCodeAt(k2) >= 0x3040 && run.charCodeAt(k2) <= 0x309f)) k2++;
      if (k2 - k - 1 >= 1 && k2 - k - 1 <= 3) end = k2;
    }
  }
  out.push({ start, end: start + end, entity: 'person' });
}

// "Jones, Mitchell and Williams": three surnames in a row name a firm (law firms, agencies, bands); a
// list of people gives at least one of them a given name. Found from each " and " / " & ", looking at the
// three words around it.
function firmNames(text: string): [number, number][] {
  const firms: [number, number][] = [];
  if (!text.includes(', ')) return firms;
  for (const sep of [' and ', ' & ']) {
    for (let at = text.indexOf(sep); at >= 0; at = text.indexOf(sep, at + 1)) {
      const ae = wordForward(text, at + sep.length);
      const be = text.charCodeAt(at - 1) === 44 ? at - 1 : at;
      const bs = wordBack(text, be);
      if (ae < 0 || bs < 0 || bs < 2 || text.charCodeAt(bs - 1) !== 32 || text.charCodeAt(bs - 2) !== 44) continue;
      const as = wordBack(text, bs - 2);
      if (as < 0) continue;
      const words = [text.slice(as, bs - 2), text.slice(bs, be), text.slice(at + sep.length, ae)];
      if (words.every((w) => classify(w) !== FIRST)) firms.push([as, ae]);
    }
  }
  return firms;
}

const NAME_CHAR = /[\p{L}\p{M}'’\-]/u;

function nameChar(c: number): boolean {
  if (c < 128) return ((c | 32) >= 97 && (c | 32) <= 122) || c === 39 || c === 45;
  return NAME_CHAR.test(String.fromCharCode(c));
}

function upper(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 128 && /\p{Lu}/u.test(String.fromCharCode(c)));
}

/** End of a capitalised word of 2–31 name characters starting at `s`, or -1. */
function wordForward(text: string, s: number): number {
  if (!upper(text.charCodeAt(s))) return -1;
  let e = s + 1;
  while (e < text.length && e - s < 31 && nameChar(text.charCodeAt(e))) e++;
  return e - s < 2 || (e < text.length && nameChar(text.charCodeAt(e))) ? -1 : e;
}

/** Start of a capitalised word of 2–31 name characters ending at `e`, or -1. */
function wordBack(text: string, e: number): number {
  let s = e;
  while (s > 0 && e - s < 31 && nameChar(text.charCodeAt(s - 1))) s--;
  return e - s < 2 || (s > 0 && nameChar(text.charCodeAt(s - 1))) || !upper(text.charCodeAt(s)) ? -1 : s;
}

/** Removes the names inside a firm's name: one sweep over both lists in text order. */
function dropInside(out: Span[], from: number, firms: [number, number][]): void {
  if (firms.length === 0) return;
  firms.sort((x, y) => x[0] - y[0]);
  const tail = out.splice(from).sort((x, y) => x.start - y.start);
  let f = 0;
  for (const s of tail) {
    while (f < firms.length && firms[f]![1] <= s.start) f++;
    // The first firm that ends after the name starts decides (firms share at most an end word).
    const inside = f < firms.length && s.start >= firms[f]![0] && s.end <= firms[f]![1];
    if (!inside) out.push(s);
  }
}

function judge(text: string, tokens: string[], starts: number[], classes: number[], i: number, j: number,
  titled: boolean, strict: boolean, out: Span[], maybe: Span[]): void {
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
  const listed = firsts + names;
  // Evidence in the words themselves first; the context (title, cues) is read only when they fall short.
  let person: boolean;
  if (strict) {
    // Both ends in the bundled lists: "Mateo Santos" is a name, "Sao Paulo" and "Urban Threads" are not.
    person = j > i && isBundled(tokens[i]!) && isBundled(tokens[j]!);
  } else if (words >= 2) {
    // Two name-like words with one listed (Xiadani Okafor), an initial between two words (Kate M Begum), or
    // two words in no table at all (Bekbolat Musliyevich).
    // A place reads the same (Villafranca del Cid, San Bernardino): without a bundled given name, words
    // after a place preposition, joined by a particle or written in capitals are left alone.
    person = (firsts >= 1 || listed >= 1 || initials >= 1 || unknown >= 2) &&
      (firsts >= 1 || initials >= 1 || !placeLike(text, tokens, classes, i, j, start) || addressHeader(text, start, end));
  } else {
    // One word: a listed, unambiguous name (Okafor), a given name with its initial (Chise T.), or a word in
    // no table with a surname's ending (Ahtisaari, Ásgeirsdóttir, Bošnjak).
    // After a place preposition (from Fortaleza, at Fala) a lone word listed as a name is as likely a town.
    const placed = listed === 1 && firsts === 0 && initials === 0 && afterPlaceWord(text, start);
    person = (listed === 1 && !placed) || (ambig === 1 && initials >= 1) || (unknown === 1 && SURNAME_ENDING.test(bareToken(tokens[i]!)));
  }
  // A given name, a particle and a surname (Jack de Vries, Mark van der Berg): the particle is what a place
  // shares (Rio de Janeiro), but a place does not start with a bundled given name, even an everyday one.
  if (!person && !strict && words >= 2 && isGiven(tokens[i]!) && particleInside(classes, i, j)) person = true;
  // A bundled given name then a bundled surname (Jack Costa, Mei Silva), even when both are everyday words too:
  // the evidence structured values already accept is enough in prose.
  if (!person && !strict && j > i && isGiven(tokens[i]!) && isSurname(tokens[j]!)) person = true;
  // A given name that is also a word or a place, then a word in no table (Victoria Bruun, Abbas Kadyrov).
  // So is a word in no table before a surname that is also a place (Yulan Peres).
  if (!person && !strict && j === i + 1 && ((classes[i] === AMBIG && classes[j] === UNKNOWN) || (classes[i] === UNKNOWN && classes[j] === AMBIG)) &&
    (wordFlags(bareToken(tokens[classes[i] === AMBIG ? i : j]!)) & W_COMMON) === 0 && !placeLike(text, tokens, classes, i, j, start)) person = true;
  // Two words both in the people lists, the first no everyday word (nor a name listed as one: the Rose Garden)
  // and the second no proper noun (Moira Pagan; not Southern Austria): each is also a word or a place, but the
  // pair reads as a person's name.
  if (!person && !strict && j === i + 1 && classes[i] === AMBIG && classes[j] === AMBIG && pairOfNames(tokens[i]!, tokens[j]!) &&
    !placeLike(text, tokens, classes, i, j, start)) person = true;
  if (!person) person = titled || cuedBefore(text, start) || cuedAfter(text, start, end) || (i === j && !strict && speaker(text, start, end));
  // Davis Inc., Williamson Orchestra, Dale Street, Hall Orchestra: a firm, a band or a street, no person.
  if (j + 1 < classes.length && classes[j + 1] === ORG_WORD) return;
  // Los Angeles, San Bernardino, São Paulo, Fort Worth: a place's first word starts the run.
  if (!titled && j > i && PLACE_FIRST.has(tokens[i]!) && !cuedBefore(text, start)) return;
  // Nera Economic Consulting, Kroll Bond Ratings Agency: a firm's word later in the same capitalised run.
  if (!titled && orgLater(classes, j)) return;
  // Los Angeles / United States: the line before a country's line in an address block is its town.
  if (!titled && wholeLine(text, start, end) && countryLineAfter(text, end)) return;
  // Montijo bridge, the Hasle office: a place or a building written with a lower-case noun after it.
  if (!titled && text.charCodeAt(end) === 32 && PLACE_NOUN_AFTER.test(text.slice(end, end + 16))) return;
  const maybeOne = !person && !strict && i === j && (unknown === 1 || names === 1 || ambig === 1);
  if (!person && !maybeOne) return;
  // Morgan Stanley, Wolters Kluwer: a firm named after its founders.
  if (j > i && FIRM_FIRST.has(tokens[i]!.toLowerCase()) && FIRMS.has(`${tokens[i]!.toLowerCase()} ${bareToken(tokens[j]!).toLowerCase()}`)) return;
  // 214 Pavlou Drandaki, on Joaquin Suarez 2906: a street named after a person, with its house number.
  if (!titled && streetNumbered(text, start, end)) return;
  // originally from Dolores, based in Kulusuk, University of Nicosia: a place, unless a given name starts a
  // longer run (a lone given name there is a town: originally from Dolores, moved to Florence).
  if (!titled && !strict && (firsts === 0 || i === j) && placeCued(text, start)) return;
  // her Uber resignation letter, the Civil Rights Act: a lone word after an article or a possessive names a
  // thing, unless a cue around it says a person (the Okafor family, her Ruoho said).
  if (!titled && !strict && i === j && afterDeterminer(text, start) && !cuedBefore(text, start) && !cuedAfter(text, start, end)) return;
  (person ? out : maybe).push({ start, end, entity: 'person' });
}

// Firms named after people (their first and last word, lower-cased): well-known ones whose words are all
// listed names, so nothing else tells them from a person.
const FIRMS = new Set(['morgan stanley', 'goldman sachs', 'berkshire hathaway', 'wolters kluwer', 'wells fargo', 'charles schwab',
  'merrill lynch', 'lockheed martin', 'ralph lauren', 'calvin klein', 'tommy hilfiger', 'estee lauder', 'harley davidson',
  'dow jones', 'ernst young', 'johnson johnson', 'procter gamble', 'marks spencer', 'jack daniels', 'john deere', 'louis vuitton',
  'christian dior', 'hugo boss', 'giorgio armani', 'dolce gabbana', 'kate spade', 'michael kors', 'tory burch', 'marc jacobs',
  'vera wang', 'jimmy choo', 'ted baker', 'thomson reuters', 'edward jones', 'raymond james', 'franklin templeton', 'thomas cook',
  'arthur andersen', 'booz allen', 'kaiser permanente', 'johns hopkins', 'walt disney', 'warner bros', 'baker mckenzie',
  'clifford chance', 'allen overy', 'skadden arps', 'bain capital', 'aston martin', 'rolls royce', 'mercedes benz', 'ben jerry',
  'dr pepper', 'jack wolfskin', 'tim hortons', 'wendy s', 'papa john', 'carl jr', 'stanley black', 'black decker',
  'abercrombie fitch', 'barnes noble', 'bath beyond', 'dick sporting', 'eddie bauer', 'lands end', 'levi strauss']);

const FIRM_FIRST = new Set([...FIRMS].map((f) => f.slice(0, f.indexOf(' '))));

/** A house number right before the run, or right after it when a street preposition comes before it. */
function streetNumbered(text: string, start: number, end: number): boolean {
  const b = text.charCodeAt(start - 2);
  if (text.charCodeAt(start - 1) === 32 && b >= 48 && b <= 57) return true;
  if (text.charCodeAt(end) !== 32) return false;
  let k = end + 1;
  while (k < text.length && k - end <= 6 && text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57) k++;
  if (k === end + 1 || k - end > 6 || (k < text.length && /[\p{L}\p{N}]/u.test(text[k]!))) return false;
  const e = start - 1;
  if (e < 2 || text.charCodeAt(e) !== 32) return false;
  let w = e;
  while (w > 0 && e - w < 8 && !isSpace(text.charCodeAt(w - 1))) w--;
  return STREET_BEFORE.has(text.slice(w, e).toLowerCase());
}
const STREET_BEFORE = new Set(['on', 'of', 'at', 'in', 'along', 'off', 'near']);

// Endings that European and Asian surnames share and English words, places and brands (all in the word
// tables) do not: Nordic -sson/-dóttir/-nen, Slavic -ski/-ová/-vić/-enko, Greek -poulos, Turkish -oğlu, …
const SURNAME_ENDING = /(?:ss[oe]n|sdótt?ir|dottir|nen|aari|[sc]k[iyaá]|ck[aiy]|ov[aá]|ev[aá]|ová|[vc]i[cćč]|[jn]a[kk]|jak|enko|escu|poulos|opoulou|o[gğ]lu|ishvili|yan|auskas|aitis|iene|ait[eė]|chuk|shvili|idis|akis|ides|wala|jee|ppa|\p{L}{3}ov|\p{L}{2}[^l\s]ev|[oe]vy?ch)$/u;

// Phrases that put a place after them (looked up by their last word, like the person cues).
const PLACE_CUES = ['originally from', 'based in', 'university of', 'returned to', 'moved to', 'lives in', 'living in',
  'live in', 'located in', 'born in', 'city of', 'flew to', 'travel to', 'trip to', 'headquartered in', 'town of',
  'village of', 'state of', 'province of', 'capital of', 'outskirts of', 'downtown', 'grew up in', 'raised in', 'relocated to'];
const PLACE_CUE_BY_LAST = byLastWord(PLACE_CUES);

function placeCued(text: string, start: number): boolean {
  return start >= 3 && text.charCodeAt(start - 1) === 32 && endsWithCue(text, start - 1, PLACE_CUE_BY_LAST);
}

// Words before a place: "originally from Dolores", "returned to San Bernardino", "University of Nicosia".
const PLACE_BEFORE = new Set(['from', 'in', 'at', 'near', 'of', 'visit', 'visited', 'visiting', 'via', 'into']);
// The same without "of" (the novels of Ruoho, a friend of Okafor): before one word, "of" names people as often.
const PLACE_BEFORE_ONE = new Set([...PLACE_BEFORE].filter((w) => w !== 'of'));

// Articles and possessive determiners (not "this"/"that", which also join clauses: so that Kaczmarek was …).
const DETERMINER_BEFORE = new Set(['the', 'a', 'an', 'my', 'your', 'his', 'her', 'its', 'our', 'their']);

function afterDeterminer(text: string, start: number): boolean {
  const e = start - 1;
  if (e < 1 || text.charCodeAt(e) !== 32) return false;
  let b = e;
  while (b > 0 && e - b < 6 && !isSpace(text.charCodeAt(b - 1))) b--;
  return DETERMINER_BEFORE.has(text.slice(b, e).toLowerCase());
}

function afterPlaceWord(text: string, start: number): boolean {
  const e = start - 1;
  if (e < 1 || text.charCodeAt(e) !== 32) return false;
  let b = e;
  while (b > 0 && e - b < 10 && !isSpace(text.charCodeAt(b - 1))) b--;
  return PLACE_BEFORE_ONE.has(text.slice(b, e).toLowerCase());
}

/**
 * Words in no table read as a place rather than a person when a place preposition comes before them, a
 * particle joins them (Villafranca del Cid) or they are written in capitals (PORT O' WARREN).
 */
function placeLike(text: string, tokens: string[], classes: number[], i: number, j: number, start: number): boolean {
  for (let k = i; k <= j; k++) {
    if (classes[k] === PARTICLE_T) return true;
    const t = tokens[k]!;
    if (t.length > 1 && t === t.toUpperCase()) return true;
  }
  const e = start - 1;
  if (e < 1 || text.charCodeAt(e) !== 32) return false;
  let b = e;
  while (b > 0 && e - b < 10 && !isSpace(text.charCodeAt(b - 1))) b--;
  return PLACE_BEFORE.has(text.slice(b, e).toLowerCase());
}

/**
 * The first line of an address block: the run is the whole line, at the text's start or after a blank line,
 * and a house number starts one of the next two non-empty lines (Dyan van Gijn / 864 Piazzetta …).
 */
function addressHeader(text: string, start: number, end: number): boolean {
  if (!(start === 0 || (text.charCodeAt(start - 1) === 10 && (start === 1 || text.charCodeAt(start - 2) === 10)))) return false;
  if (end < text.length && text.charCodeAt(end) !== 10) return false;
  let pos = end;
  for (let line = 0; line < 2 && pos < text.length; line++) {
    while (pos < text.length && (text.charCodeAt(pos) === 10 || text.charCodeAt(pos) === 32)) pos++;
    const c = text.charCodeAt(pos);
    if (c >= 48 && c <= 57) return true;
    const nl = text.indexOf('\n', pos);
    if (nl < 0 || nl - pos > 120) return false;
    pos = nl;
  }
  return false;
}

/** A speaker's label at the start of a line of a transcript: "Vinka: What a wife." */
function speaker(text: string, start: number, end: number): boolean {
  if (text.charCodeAt(end) !== 58) return false;
  let b = start;
  while (b > 0 && start - b < 6 && (text.charCodeAt(b - 1) === 32 || text.charCodeAt(b - 1) === 62)) b--;
  return b === 0 || text.charCodeAt(b - 1) === 10;
}

function cuedAfter(text: string, start: number, end: number): boolean {
  const c = text.charCodeAt(end);
  // "the Ruoho novel", "the Okafor family": a lone name between "the" and a person's works or kin.
  if (c === 32 && end - start < 32 && WORK_AFTER.test(text.slice(end, end + 14)) && text.slice(Math.max(0, start - 4), start).toLowerCase() === 'the ') return true;
  if (c === 44) return WHO_AFTER.test(text.slice(end, end + 8)) || NEAR_AFTER.test(text.slice(end, end + 12));
  if (c !== 32 && c !== 39 && c !== 0x2019) return false;
  const after = text.slice(end, end + 28);
  return CUE_AFTER.test(after) || KIN_AFTER.test(after) || NEAR_AFTER.test(after);
}

const PLACE_FIRST = new Set(['Los', 'Las', 'San', 'Santa', 'Santo', 'São', 'Sao', 'Sankt', 'Saint', 'Sainte', 'Fort', 'Port', 'Porto', 'Puerto', 'Mount', 'Lake', 'Ciudad', 'Villa']);
const PLACE_NOUN_AFTER = /^ (?:nad|pod|am|an der|ob der|sur|sous|upon|bridge|river|street|road|avenue|city|airport|station|park|lake|county|province|region|valley|island|beach|mountain|square|hotel|university|college|school|hospital|church|museum|office|offices|headquarters|branch|campus|district|village|town|harbou?r|port)\b/;

let countries: Set<string> | undefined;

/** Country names in English (ICU's region names, ~280, lower-cased), built on first use. */
function countryNames(): Set<string> {
  if (countries !== undefined) return countries;
  countries = new Set(['usa', 'uk', 'england', 'scotland', 'wales', 'czech republic', 'united states of america']);
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      try {
        const n = names.of(code);
        if (n !== undefined && n !== code) countries.add(n.toLowerCase());
      } catch { /* not a region code */ }
    }
  }
  return countries;
}

/** The run is its line's only content (spaces around it allowed). */
function wholeLine(text: string, start: number, end: number): boolean {
  let b = start;
  while (b > 0 && text.charCodeAt(b - 1) === 32) b--;
  let e = end;
  while (e < text.length && (text.charCodeAt(e) === 32 || text.charCodeAt(e) === 44)) e++;
  return (b === 0 || text.charCodeAt(b - 1) === 10) && e < text.length && text.charCodeAt(e) === 10;
}

/** The next line starts with a country's name (Slovenia 15755, United States). */
function countryLineAfter(text: string, end: number): boolean {
  let p = text.indexOf('\n', end);
  if (p < 0) return false;
  while (p < text.length && (text.charCodeAt(p) === 10 || text.charCodeAt(p) === 32)) p++;
  let e = text.indexOf('\n', p);
  if (e < 0) e = text.length;
  if (e - p > 60) return false;
  const line = text.slice(p, e).toLowerCase().replace(/[\s\d,.\-]+$/, '');
  return countryNames().has(line);
}

function orgLater(classes: readonly number[], j: number): boolean {
  for (let k = j + 2; k < classes.length; k++) if (classes[k] === ORG_WORD) return true;
  return false;
}

function isGiven(t: string): boolean {
  return (wordFlags(bareToken(t)) & W_FIRST) !== 0;
}

function isSurname(t: string): boolean {
  return (wordFlags(bareToken(t)) & W_SURNAME) !== 0;
}

function particleInside(classes: readonly number[], i: number, j: number): boolean {
  for (let k = i + 1; k < j; k++) if (classes[k] === PARTICLE_T) return true;
  return false;
}

function pairOfNames(first: string, last: string): boolean {
  const lf = wordFlags(bareToken(last));
  return (wordFlags(bareToken(first)) & (W_COMMON | W_AMBIGUOUS)) === 0 && (lf & W_PROPER) === 0 && (lf & (W_LISTED | W_FIRST | W_SURNAME)) !== 0;
}

function isBundled(t: string): boolean {
  return (wordFlags(bareToken(t)) & (W_FIRST | W_SURNAME)) !== 0;
}
