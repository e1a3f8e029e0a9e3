// Phone numbers: E.164 (+CC …, 00CC …) and national formats (US (415) 555-0123, UK 07700 900123,
// DE 030 1234567, FR 01.23.45.67.89, IN 98765 43210, BR (11) 91234-5678). Groups joined by single
// separators; dates, decimals and bare digit runs that are more likely ids or timestamps are rejected.
import { regexHits, type Span } from './types.js';

const PHONE = /(?<![\w+\-.\/])(?:\+\d{1,3}[ .\-]?|00\d{1,3}[ .\-])?(?:\(0\)[ .\-]?)?(?:\(\d{1,5}\)[ .\-]?)?\d{1,12}(?:[ .\-]\d{1,12}){0,5}(?: ?(?:x|ext\.?) ?\d{1,6})?(?![\w]|[.\-\/]\d)/g;
// A bare run written as an integral float (4155550132.0, as pandas writes an integer column with a gap):
// the digits are the phone, the `.0` stays as written.
const FLOAT = /(?<![\w+\-.\/])\d{10,11}(?=\.0+(?![\w.]|\.\d))/g;
const STREET_AFTER = /^ (?:[\p{L}'’.\-]{1,20} ){0,2}(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|way|court|ct|place|pl|terrace|crescent|close|highway|hwy)\b/iu;
const DATE = /^(?:\d{4}([\-.\/])\d{1,2}\1\d{1,2}|\d{1,2}([\-.\/])\d{1,2}\2\d{2,4})$/;
const DATE_PREFIX = /^\d{4}-\d{2}-\d{2}(?!\d)/;
const EXTENSION = /(?: ?(?:x|ext\.?) ?\d{1,6})$/;

export function phoneLike(m: string): boolean {
  const main = m.replace(EXTENSION, '');
  const digits = main.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15 || /^(\d)\1+$/.test(digits)) return false;
  if (DATE.test(main) || DATE_PREFIX.test(main)) return false;
  const international = main.startsWith('+') || main.startsWith('00');
  if (/^\d+$/.test(main)) {
    // A bare run: only NANP-shaped or trunk-prefixed national numbers, never timestamps or ids.
    return (digits.length === 10 && digits[0] !== '0' && digits[0] !== '1') ||
      ((digits.length === 10 || digits.length === 11) && digits[0] === '0' && digits[1] !== '0');
  }
  if (!international && !main.includes('(')) {
    // Short national groupings that are postcodes, house numbers or licence numbers far more often than
    // phones (43 73313, 3610-114, 28919 136, 75534-030, 2270-66-1551); 555 0123 and 12 345678 stay phones.
    const groups = main.split(/[ .\-]/).map((g) => g.length);
    if (groups.length === 2 && digits.length === 7 && groups[0] !== 3) return false;
    if (groups.length === 2 && digits.length === 8 && groups[0]! >= 5) return false;
    // Five then four digits is a ZIP+4 (94941 2505), not a national phone layout.
    if (groups.length === 2 && groups[0] === 5 && groups[1] === 4) return false;
    if (groups.length === 3 && groups[0] === 4 && groups[1] === 2 && groups[2] === 4) return false;
  }
  // 3.14159 is a decimal and 1.2.3.4567 a version, not phones.
  if (!international && /^\d+\.\d+$/.test(main)) return false;
  if (main.includes('.') && /(?:^|\.)\d(?:\.|$)/.test(main)) return false;
  return true;
}

export function detectPhone(text: string, out: Span[]): void {
  const from = out.length;
  regexHits(PHONE, 'phone', text, out, phoneLike);
  // "3747 3911 fourth avenue": a building number and a house number before a street, not a phone: the
  // span becomes the address it starts.
  for (let i = from; i < out.length; i++) {
    const s = out[i]!;
    if (s.end - s.start > 11 || text.slice(s.start, s.end).includes('+')) continue;
    const street = STREET_AFTER.exec(text.slice(s.end, s.end + 48));
    if (street !== null) out[i] = { start: s.start, end: s.end + street[0].length, entity: 'address' };
  }
  if (text.indexOf('.0') >= 0) regexHits(FLOAT, 'phone', text, out, phoneLike);
}
