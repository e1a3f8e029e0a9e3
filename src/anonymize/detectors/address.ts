// Street addresses in free text, by a small grammar anchored on numbers. Each run of 1–6 digits is tried
// as the house number that ends a street line (Koskikatu 25, Villacher Strasse 89, Rua Mina 50, ul. Miła 57,
// Apt. 864, "on Pod Floriánem 1677") by looking at the few words before it, and as the number that starts
// one (2450 Crown St, 17151 2450 Crown St). US military mail (USNS Bergman / FPO AP 93757) and named
// streets after a place preposition (on Marina Fort Street) are found by their own keywords. Each street
// line is then widened forwards over the lines of the same address (unit, locality, region code, country,
// postcode). Every step looks at a bounded window around an anchor, so the work is linear in the input.
import { W_COMMON, W_FIRST, W_LISTED, W_PROPER, W_SURNAME, isEveryday, wordFlags } from '../data/lexicon.js';
import { STATES } from './postcode.js';
import type { Span } from './types.js';

const WORD = "\\p{Lu}[\\p{L}\\p{M}'’.\\-]{0,30}";
// English street types (the USPS suffixes) and the European ones written as a word of their own.
const STREET_TYPES = 'Street|Str|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Courts|Ct|Way|Place|Pl|Square|Sq|' +
  'Terrace|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Trail|Crescent|Close|Gardens|Grove|Row|Walk|Hill|Hills|Park|Loop|Pike|' +
  'Alley|Plaza|Ridge|Mews|Green|Greens|Heights|Station|Crossing|Crossroad|Estates|Point|Port|Hollow|Junction|Route|' +
  'Bypass|Cliffs?|Coves?|Creek|Dale|Dam|Extensions?|Falls|Ferry|Flats?|Fords?|Forks?|Gateway|Glen|Harbor|Haven|' +
  'Isle|Islands?|Knolls?|Lakes?|Landing|Lodge|Mall|Manor|Meadows?|Mill|Mills|Mission|Motorway|Orchard|Oval|Pass|' +
  'Passage|Path|Prairie|Ranch|Rapids|Rest|Shoals?|Shores?|Springs?|Spur|Stream|Summit|Throughway|Trace|Track|' +
  'Turnpike|Union|Valley|Viaduct|View|Villages?|Ville|Vista|Wells?|' +
  'Rue|Straße|Strasse|Gasse|Allee|Platz|Weg|Vej|Gade|Gata|Gatan|Katu|Tie|Utca|Ulica';
// From a house number: 2450 Crown St, 17151 2450 Crown St., 1600 Pennsylvania Avenue.
const NUMBER_FIRST = new RegExp(`\\d{1,6}[A-Za-z]?(?: \\d{1,6})?,? (?:${WORD} ){0,4}(?:${STREET_TYPES})(?![\\p{L}\\d])\\.?`, 'uy');
// From a house number before a street word that comes first in French, Iberian, Italian and Polish
// layouts: 36 rue de Pologne, 69 Av Sidi Lakhmi, 33 avenue de Provence, 3037 ul. Północna 73.
const NUMBER_PREFIXED = /\d{1,6}[A-Za-z]?(?: \d{1,6})?,? (?:[Rr]ue|[Aa]venue|[Aa]v\.?|[Aa]vda\.|[Aa]venida|[Rr]ua|[Rr]úa|[Vv]ia|[Vv]iale|[Cc]alle|[Cc]orso|ul\.|[Bb]oulevard|[Cc]hemin|[Qq]uai|[Ii]mpasse|[Aa]llée) (?:[\p{L}\p{M}'’.\-]{1,30} ){0,4}[\p{L}\p{M}'’.\-]{1,30}(?: \d{1,5}[a-z]?(?![\p{L}\d]))?/uy;
// A word ending like a street (Koskikatu, Pohlstrasse, Præstevænget, hersnapvej) before the house number.
const SUFFIX = /(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|tie|katu|kuja|vej|vænget|gade|veien|vegen|vägen|gatan|gata|laan|straat|utca|ulica|tér|út|braut|stræti|stræde|stien|bygget|gränd|väg|gracht|kade|plein|singel|dijk)$/;
// A street-type word of its own between the name and the number: Villacher Strasse 89, Piroska u. 97.
const TYPE_WORDS = new Set(['straße', 'strasse', 'str.', 'gasse', 'weg', 'platz', 'allee', 'utca', 'útja', 'út', 'tér', 'u.',
  'rkp.', 'körút', 'ulica', 'vej', 'gade', 'gata', 'katu', 'tie', 'street', 'str']);
// A street-type word before the name: Rua Mina 50, ul. Miła 57, C/ Señores Curas 88, Via Roma 131.
const PREFIX_WORDS = new Set(['rua', 'rúa', 'r', 'avenida', 'avda.', 'av.', 'av', 'avenue', 'calle', 'c/', 'carrer', 'via',
  'viale', 'vicolo', 'piazza', 'rue', 'boulevard', 'bd', 'plaza', 'paseo', 'camino', 'travessa', 'largo', 'praça', 'ulica',
  'ul.', 'pod', 'trg', 'odos', 'leoforos', 'str.']);
const UNIT_WORDS = new Set(['apt.', 'apt', 'apartment', 'suite', 'ste.', 'ste', 'unit', 'flat', 'psc', 'box', '#']);
// US military mail: USNS Bergman / FPO AP 93757; Unit 4526 Box 0671 / DPO AP 40902; PSC 5420, Box 2708 / APO AA 33879.
const MILITARY = /(?<![\p{L}\d])(?:(?:USNS|USNV|USS|USCGC) \p{L}[\p{L}\p{M}'’\-]{1,30}|Unit \d{1,6},? Box \d{1,6}|PSC \d{1,6},? Box \d{1,6})\s{1,4}(?:FPO|APO|DPO) (?:AA|AE|AP) \d{5}(?!\d)/giu;
const MILITARY_HINT = /[FAD]PO A[AEP] \d/i;
// A named street after a place preposition, without a house number: "on Marina Fort Street".
const NAMED_TYPE = /\b(?:Street|Avenue|Road|Boulevard|Lane|Drive|Terrace|Crescent|Parkway|Highway)\b/g;
const PLACE_PREPOSITIONS = new Set(['on', 'at', 'to', 'of', 'and', 'in']);
const NAME_PARTICLES = new Set(['de', 'la', 'del', 'van', 'der', 'den', 'nad', 'pod', 'e', 'do', 'da', 'di', 'du', 'le', 'des']);

export function detectAddress(text: string, out: Span[]): void {
  const found: Span[] = [];
  numberAnchored(text, found);
  if ((text.includes('PO A') || text.includes('po a') || text.includes('PO a')) && MILITARY_HINT.test(text)) {
    MILITARY.lastIndex = 0;
    for (let m = MILITARY.exec(text); m !== null; m = MILITARY.exec(text)) found.push(span(m.index, m.index + m[0].length));
  }
  namedStreets(text, found);
  if (found.length === 0) return;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  // Merge overlapping street parts and the lines that follow them into one address each.
  let cur: Span | undefined;
  for (const s of found) {
    if (cur !== undefined && s.start <= cur.end) { if (s.end > cur.end) cur.end = continueBlock(text, s.end); continue; }
    if (cur !== undefined) out.push(withStateZip(text, cur));
    cur = span(s.start, continueBlock(text, s.end));
  }
  if (cur !== undefined) out.push(withStateZip(text, cur));
}

// The rest of a US locality on the same line: ", IL 62704", " Texas 78701-1234".
const STATE_ZIP = new RegExp(`^,? (?:${STATES}),? \\d{5}(?:-\\d{4})?(?![\\d\\-])`);

/** An address that stops before its state and ZIP (42 Oak Road, Springfield | , IL 62704) takes them in. */
function withStateZip(text: string, s: Span): Span {
  const c = text.charCodeAt(s.end);
  if (c !== 44 && c !== 32) return s;
  const m = STATE_ZIP.exec(text.slice(s.end, s.end + 32));
  if (m !== null) s.end += m[0].length;
  return s;
}

function span(start: number, end: number): Span {
  return { start, end, entity: 'address' };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A letter or digit (ASCII fast path; any other character below 0xC0 is neither). */
function isWordChar(c: number): boolean {
  if (c < 0xc0) return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 0xaa || c === 0xb5 || c === 0xba;
  return /[\p{L}\p{N}]/u.test(String.fromCharCode(c));
}

function isLetter(c: number): boolean {
  return !isDigit(c) && isWordChar(c);
}

// Characters that end a word when walking back from a number: white space and , ; : ! ? " ( ).
function endsWord(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 44 || c === 59 || c === 58 || c === 33 || c === 63 ||
    c === 34 || c === 40 || c === 41;
}

const NEXT_DIGIT = /[0-9]/g;

/** Every run of 1–6 digits, as the number that ends a street line and as the one that starts it. */
function numberAnchored(text: string, found: Span[]): void {
  const n = text.length;
  let i = 0;
  // In a long text the next digit is found by the regex engine's native scan (prose is mostly not digits);
  // in a short one (a field value) a loop costs less than the call.
  const native = n >= 128;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      if (!native) { i++; continue; }
      NEXT_DIGIT.lastIndex = i;
      if (NEXT_DIGIT.exec(text) === null) break;
      i = NEXT_DIGIT.lastIndex - 1;
    }
    const ds = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    const de = i;
    const next = de < n ? text.charCodeAt(de) : 32;
    // A capital right after the digits ends a token like 4K or 3D, unless it is a UK house number's letter
    // suffix standing alone before a space (221B Baker Street).
    const suffixed = next >= 65 && next <= 90 && de + 1 < n && text.charCodeAt(de + 1) === 32;
    if (de - ds > 6 || (ds > 0 && isWordChar(text.charCodeAt(ds - 1))) || (isLetter(next) && !(next >= 97 && next <= 122) && !suffixed)) continue;
    const before = ds > 0 ? text.charCodeAt(ds - 1) : 32;
    if ((before === 32 || before === 35) && ds > 1) endingAt(text, ds, de, found);
    // A number starts a street line only before a space or comma and a capital or another number.
    if (before !== 46 && before !== 44 && before !== 45 && (next === 32 || next === 44 || (next >= 65 && next <= 90) || (next >= 97 && next <= 122))) {
      NUMBER_FIRST.lastIndex = ds;
      const m = NUMBER_FIRST.exec(text);
      if (m !== null) found.push(span(leadingNumber(text, ds), ds + m[0].length));
      NUMBER_PREFIXED.lastIndex = ds;
      const p = NUMBER_PREFIXED.exec(text);
      if (p !== null) found.push(span(leadingNumber(text, ds), ds + p[0].length));
    }
  }
}

interface Word { s: number; e: number; w: string }

/** Up to `max` words before `pos` (the space before an anchor), on the same line, single spaces apart. */
function wordsBefore(text: string, pos: number, max: number): Word[] {
  const words: Word[] = [];
  let i = pos;
  while (words.length < max && i > 0 && text.charCodeAt(i) === 32) {
    const e = i;
    let s = e;
    while (s > 0 && e - s < 32 && !endsWord(text.charCodeAt(s - 1))) s--;
    if (s === e || e - s >= 32) break;
    words.push({ s, e, w: text.slice(s, e) });
    i = s - 1;
  }
  return words;
}

/** An everyday word or a proper noun that is no name (Windows 10, Monday 12, Chapter 11). */
function knownNonName(w: string): boolean {
  const f = wordFlags(w);
  return (f & W_COMMON) !== 0 || ((f & W_PROPER) !== 0 && (f & (W_FIRST | W_SURNAME | W_LISTED)) === 0);
}

function capitalised(w: string): boolean {
  return /^\p{Lu}/u.test(w);
}

/** The street line that the number at [ds, de) ends, if the words before it make one. */
function endingAt(text: string, ds: number, de: number, found: Span[]): void {
  let end = de;
  if (end < text.length && /[a-z]/.test(text[end]!) && !(end + 1 < text.length && /\p{L}/u.test(text[end + 1]!))) end++;
  if (text[end] === '.' && !(end + 1 < text.length && isDigit(text.charCodeAt(end + 1)))) end++;
  // Card and phone groups (4539 1488 0343): no rule ends with a number after a number.
  if (isDigit(text.charCodeAt(ds - 2))) return;
  const words = wordsBefore(text, text[ds - 1] === '#' ? ds - 2 : ds - 1, 7);
  const w1 = words[0];
  if (w1 === undefined) return;
  const l1 = w1.w.toLowerCase();
  let start = -1;
  // Apt. 864, Suite 501, Box 2708.
  if (UNIT_WORDS.has(l1)) start = w1.s;
  // Koskikatu 25: a street-suffixed word that is not an everyday one ("During 1971").
  else if (SUFFIX.test(l1) && l1.length > 4 && !isEveryday(l1)) start = w1.s;
  // Villacher Strasse 89, Piroska u. 97.
  else if (TYPE_WORDS.has(l1) && words[1] !== undefined && !isEveryday(words[1].w)) start = (words[2] !== undefined && capitalised(words[2].w) && !isEveryday(words[2].w) ? words[2] : words[1]).s;
  // Rua Mina 50, ul. Miła 57, Via Roma 131: a prefix word within the five words before.
  for (let k = 1; start < 0 && k < Math.min(words.length, 6); k++) {
    if (PREFIX_WORDS.has(words[k]!.w.toLowerCase())) start = words[k]!.s;
  }
  // 28245 Puruntie 82: a number, one to three words, a number.
  for (let k = 1; start < 0 && k <= 3 && k < words.length; k++) {
    const wk = words[k]!;
    if (/^\d{1,5}$/.test(wk.w) && capitalised(words[k - 1]!.w) && (wk.s === 0 || !/[\p{L}\d.,]/u.test(text[wk.s - 1]!))) start = wk.s;
  }
  // "on Pod Floriánem 1677", "at Hoge Wei 32 St.": capitalised words after "on"/"at", ending a clause.
  if (start < 0 && capitalised(w1.w) && !knownNonName(w1.w) && endsClause(text, end)) {
    for (let k = 1; k < Math.min(words.length, 6); k++) {
      const wk = words[k]!;
      const lk = wk.w.toLowerCase();
      if (lk === 'on' || lk === 'at') { start = words[k - 1]!.s; break; }
      if (!capitalised(wk.w) && !NAME_PARTICLES.has(lk)) break;
    }
  }
  if (start >= 0) found.push(span(leadingNumber(text, start), end));
}

/** After a house number: the end of the text or clause, or "St." / "street". */
function endsClause(text: string, end: number): boolean {
  const rest = text.slice(end, end + 8);
  return /^(?:$|[,;!?\n]|\.(?:\s|$)| ?(?:St\.?|street|st\.)(?![\p{L}]))/u.test(rest);
}

/** A building number or postcode just before the street line belongs to it: "17151 2450 Crown St". */
function leadingNumber(text: string, start: number): number {
  const i = start - 1;
  if (i < 1 || text.charCodeAt(i) !== 32) return start;
  let j = i;
  while (j > 0 && j > i - 7 && isDigit(text.charCodeAt(j - 1))) j--;
  if (j === i || (j > 0 && /[\p{L}\p{N}.,\-]/u.test(text[j - 1]!))) return start;
  return j;
}

/** "on Marina Fort Street": one to three capitalised words between a place preposition and a street type. */
function namedStreets(text: string, found: Span[]): void {
  NAMED_TYPE.lastIndex = 0;
  for (let m = NAMED_TYPE.exec(text); m !== null; m = NAMED_TYPE.exec(text)) {
    const words = wordsBefore(text, m.index - 1, 4);
    for (let k = 1; k < words.length; k++) {
      if (PLACE_PREPOSITIONS.has(words[k]!.w)) { found.push(span(words[k - 1]!.s, m.index + m[0].length)); break; }
      if (!capitalised(words[k]!.w)) break;
    }
  }
}

// One line of an address after the street: a unit, a locality (up to four words, each capitalised or a short
// particle), a region code, a country, a postcode, or several of these in a row.
const PART = /(?:(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Box|PO Box) ?#?\d{1,6}|\d{4,6}(?:-\d{3,4})?|\d{2}-\d{3}|\(?\p{Lu}[\p{L}\p{M}'’.()\-∆]{0,30}\)?(?: (?:\(?\p{Lu}[\p{L}\p{M}'’.()\-∆]{0,30}\)?|de|del|la|le|di|da|do|nad|na|v|u|am|im|an|der|en|sur|upon))?(?: \(?\p{Lu}[\p{L}\p{M}'’.()\-∆]{0,30}\)?){0,2}(?: \d{4,6}(?:-\d{3,4})?| \d{2}-\d{3})?)/uy;
// Between lines: a comma, line breaks and the quoting marks of a pasted block (">", "???"), at most 12 characters.
const GAP = /[ \t]{0,4},?[ \t]{0,4}(?:\r?\n[ \t>?]{0,6}){0,3},?[ \t]{0,4}/y;

/** The end of the address block whose street line ends at `end`: at most six lines, a forward walk. */
function continueBlock(text: string, end: number): number {
  let pos = end;
  for (let parts = 0; parts < 6; parts++) {
    GAP.lastIndex = pos;
    const gap = GAP.exec(text);
    const at = gap === null ? pos : pos + gap[0].length;
    if (at === pos || at - pos > 12) break;
    PART.lastIndex = at;
    const m = PART.exec(text);
    if (m === null) break;
    const after = at + m[0].length;
    // A line ends at a break, a comma, the end or a sentence mark; "Mobile: 0341…" and prose are no address lines.
    const c = after < text.length ? text.charCodeAt(after) : 10;
    if (!(c === 10 || c === 13 || c === 44 || c === 46 || c === 63 || c === 33 || c === 59)) break;
    if (isEveryday(m[0]) && !/^\p{Lu}+$/u.test(m[0])) break;
    pos = after;
  }
  return pos;
}
