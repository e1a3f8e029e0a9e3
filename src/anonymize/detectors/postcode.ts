// Postcodes in address context: UK postcodes in their written form (outward code, a space, inward code:
// SW1A 1AA, M1 1AE, EC1A 1BB; letters from Royal Mail's sets) and US ZIP codes right after a state
// ("Springfield, IL 62704", "Austin, Texas 78701-1234"), and any postal code after a cue ("ZIP: 3520",
// "my zip code is 90010-170", "postcode 7412 SL"). A bare five-digit number is no ZIP.
import type { Span } from './types.js';

const UK = /(?<![A-Za-z0-9])(?:[A-PR-UWYZ][A-HK-Y]?\d[A-HJKPSTUW\d]?|GIR) \d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])/g;
export const STATES = 'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|PR|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|' +
  'Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|' +
  'Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|' +
  'New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|' +
  'South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming';
// A ZIP, then (looking back from it) a state after a place word: a letter or a dot, an optional comma
// and a space. Five-digit runs are rare, so the state list is only tried before them.
const ZIP = /(?<![\d\-])\d{5}(?:-\d{4})?(?![\d\-])/g;
const STATE_BEFORE = new RegExp(`[\\p{L}.],? (?:${STATES}),? $`, 'u');

// The code: one to eight letters or digits, maybe a second group after a space or dash (B0J 2H0, 394 13).
const CUED = /(?<![\p{L}])(?:zip(?:[ \-]?code)?|post(?:al)?[ \-]?code|postleitzahl|plz|code postal|c[oó]digo postal)(?![\p{L}])[ \t]{0,3}(?:(?:is|was|:|=|#|no\.?)[ \t]{0,3}){0,2}([A-Za-z0-9]{1,8}(?:[ \-][A-Za-z0-9]{2,4})?)(?![\p{L}\p{N}])/giu;
const FIVE_DIGITS = /\d{5}/;
const CUE_HINT = /zip|post|plz|code postal|digo postal/i;

/** `upper`: the text has a capital letter (UK codes and US states need one; a cue does not). */
export function detectPostcode(text: string, out: Span[], upper = true): void {
  if (CUE_HINT.test(text)) {
    CUED.lastIndex = 0;
    for (let m = CUED.exec(text); m !== null; m = CUED.exec(text)) {
      const code = m[1]!;
      // At least three digits: "zip it", "postcode lookup" are no codes.
      if ((code.match(/\d/g)?.length ?? 0) < 3) continue;
      const start = m.index + m[0].length - code.length;
      out.push({ start, end: start + code.length, entity: 'postcode' });
    }
  }
  if (!upper) return;
  UK.lastIndex = 0;
  for (let m = UK.exec(text); m !== null; m = UK.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, entity: 'postcode' });
  if (!FIVE_DIGITS.test(text)) return;
  ZIP.lastIndex = 0;
  for (let m = ZIP.exec(text); m !== null; m = ZIP.exec(text)) {
    if (STATE_BEFORE.test(text.slice(Math.max(0, m.index - 24), m.index))) out.push({ start: m.index, end: m.index + m[0].length, entity: 'postcode' });
  }
}
