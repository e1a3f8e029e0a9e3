// Street addresses in free text: house number + street name + a street-type word (English and the
// common European suffixes and prefixes), and unit designators (Apt. 5, Suite 501, PSC 0413, Box 8144).
import { regexHits, type Span } from './types.js';

const WORD = "\\p{Lu}[\\p{L}'.\\-]{0,30}";
const STREET_TYPES = 'Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Square|Sq|Terrace|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Trail|Crescent|Close|Gardens|Grove|Row|Walk|Hill|Park|Loop|Pike|Alley|Plaza|Ridge|Mews|Green|Heights|Station|Crossing|Estates|Point|Port|Hollow|Junction|Route|Rue|Straße|Strasse|Gasse|Allee|Platz|Weg|Vej|Gade|Gata|Gatan|Katu|Tie|Utca|Ulica';
const US_STYLE = new RegExp(`(?<![\\p{L}\\d])\\d{1,6}[A-Za-z]?(?:,)? (?:${WORD} ){0,4}(?:${STREET_TYPES})\\b\\.?`, 'gu');
const SUFFIXED = /(?<![\p{L}\d])\p{Lu}[\p{L}\-]{1,30}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|tie|katu|kuja|vej|vænget|gade|veien|vegen|vägen|gatan|gata|laan|straat|utca|ulica|u\.|tér|út) \d{1,5}[a-z]?\b/gu;
const PREFIXED = /(?<![\p{L}\d])(?:Rua|Avenida|Av\.|Calle|Carrer|Via|Viale|Piazza|Rue|Boulevard|Plaza|Paseo|Camino|Travessa|Largo|Praça|Ulica|ul\.) (?:[\p{L}'.\-]{1,30} ){0,4}?\d{1,5}[a-z]?\b/gu;
// European layouts with a leading postcode or house number: 28245 Puruntie 82, 233 Erzsébet tér 19.
const NUMBER_NAME_NUMBER = /(?<![\p{L}\d.,])\d{1,5} \p{Lu}[\p{L}'’.\-]{1,30}(?: [\p{L}'’.\-]{1,30}){0,2} \d{1,4}[A-Za-z]?(?![\p{L}\d])/gu;
const UNITS = /(?<![\p{L}\d])(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|PSC|Box)\s?#?\d{1,6}\b/gu;

export function detectAddress(text: string, out: Span[]): void {
  regexHits(US_STYLE, 'address', text, out);
  regexHits(SUFFIXED, 'address', text, out);
  regexHits(PREFIXED, 'address', text, out);
  regexHits(NUMBER_NAME_NUMBER, 'address', text, out);
  regexHits(UNITS, 'address', text, out);
}
