// Payment cards: 13–19 digits (12 for Maestro-style 0/5/6 prefixes), optionally grouped by single spaces or
// dashes (any of space, dash, dot, slash between groups of four), Luhn-valid.
import { luhnValid } from '../checksums.js';
import { regexHits, type Span } from './types.js';

const CARD = /(?<![\d\-])\d(?:[ \-]?\d){11,18}(?![\d]|[ \-]\d)/g;
// Groups of four (or Amex 4-6-5) joined by any separators, dots and slashes too (4111.1111.1111.1111):
// never an IP address, a date or a decimal.
const CARD_GROUPED = /(?<![\d.\/\-])\d{4}(?:(?:[ .\-\/]\d{4}){2,3}(?:[ .\-\/]\d{1,3})?|[ .\-\/]\d{6}[ .\-\/]\d{5})(?![\d]|[.\/\-]\d)/g;

export function cardDigits(s: string): string {
  return s.replace(/[^\d]/g, '');
}

/**
 * 12–19 Luhn-valid digits; twelve only for Maestro-style prefixes (0, 5, 6: 060426070011). All one digit
 * (0000…) is a placeholder, not a card.
 */
export function cardDigitsValid(d: string): boolean {
  return (d.length >= 13 || (d.length === 12 && (d[0] === '0' || d[0] === '5' || d[0] === '6'))) && d.length <= 19 &&
    !/^(\d)\1+$/.test(d) && luhnValid(d);
}

function cardLike(m: string): boolean {
  return cardDigitsValid(cardDigits(m));
}

export function detectCard(text: string, out: Span[]): void {
  regexHits(CARD, 'card', text, out, cardLike);
  if (text.indexOf('.') >= 0 || text.indexOf('/') >= 0) regexHits(CARD_GROUPED, 'card', text, out, cardLike);
}
