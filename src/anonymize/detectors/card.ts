// Payment cards: 12–19 digits, optionally grouped by single spaces or dashes (any of space, dash, dot,
// slash between groups of four), Luhn-valid, AND with an issuer prefix (IIN) and a length that its
// network issues. Luhn alone takes one random id in ten for a card; the IIN table cuts that to the
// prefixes real networks own. UATP (15 digits starting with 1, an airline scheme) collides with ordinary
// ids (48-bit request ids are 15 digits starting 1 or 2) and is off unless a policy turns it on.
import { luhnValid } from '../checksums.js';
import { regexHits, type Span } from './types.js';

const CARD = /(?<![\d\-])\d(?:[ \-]?\d){11,18}(?![\d]|[ \-]\d)/g;
// Groups of four (or Amex 4-6-5) joined by any separators, dots and slashes too (4111.1111.1111.1111):
// never an IP address, a date or a decimal.
const CARD_GROUPED = /(?<![\d.\/\-])\d{4}(?:(?:[ .\-\/]\d{4}){2,3}(?:[ .\-\/]\d{1,3})?|[ .\-\/]\d{6}[ .\-\/]\d{5})(?![\d]|[.\/\-]\d)/g;

export function cardDigits(s: string): string {
  return s.replace(/[^\d]/g, '');
}

/** Card-number options a policy sets (`entities.cards`). */
export interface CardOptions {
  /** UATP (15 digits starting with 1): off by default, it collides with ordinary ids. */
  readonly uatp?: boolean;
}

const between = (x: number, lo: number, hi: number) => x >= lo && x <= hi;

/**
 * The network whose IIN ranges hold `d`'s prefix and whose lengths hold its length, or undefined.
 * Ranges from the networks' published IIN tables (ISO/IEC 7812 issuer ranges as the networks assign them).
 */
export function cardNetwork(d: string, opts?: CardOptions): string | undefined {
  const n = d.length;
  const p1 = d.charCodeAt(0) - 48;
  const p2 = p1 * 10 + d.charCodeAt(1) - 48;
  const p3 = p2 * 10 + d.charCodeAt(2) - 48;
  const p4 = p3 * 10 + d.charCodeAt(3) - 48;
  const p6 = p4 * 100 + (d.charCodeAt(4) - 48) * 10 + d.charCodeAt(5) - 48;
  switch (p1) {
    case 0:
      // Legacy 12-digit Maestro (060426070011): twelve only.
      return n === 12 ? 'maestro' : undefined;
    case 1:
      return n === 15 && opts?.uatp === true ? 'uatp' : undefined;
    case 2:
      if (between(p4, 2221, 2720) && n === 16) return 'mastercard';
      if (between(p4, 2200, 2204) && n >= 16) return 'mir';
      return undefined;
    case 3:
      if ((p2 === 34 || p2 === 37) && n === 15) return 'amex';
      if (between(p4, 3528, 3589) && n >= 16) return 'jcb';
      if ((between(p3, 300, 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) && n >= 14) return 'diners';
      if ((p3 === 353 || p3 === 356) && n === 16) return 'rupay';
      return undefined;
    case 4:
      return n === 13 || n === 16 || n === 19 ? 'visa' : undefined;
    case 5:
      if (between(p2, 51, 55) && n === 16) return 'mastercard';
      // Maestro (50, 56–58), Dankort 5019, Verve 5060/5061, RuPay 508: 12–19.
      if ((p2 === 50 || between(p2, 56, 58)) && n >= 12) return 'maestro';
      return undefined;
    case 6:
      if ((p4 === 6011 || between(p3, 644, 649) || p2 === 65 || between(p6, 622126, 622925)) && n >= 16) return 'discover';
      if (p2 === 62 && n >= 16) return 'unionpay';
      if (between(p3, 637, 639) && n === 16) return 'instapayment';
      if (p2 === 60 && n === 16) return 'rupay';
      // Maestro's 6 ranges (6304, 6390, 67: 6759, 676x): 12–19.
      return (p4 === 6304 || p4 === 6390 || p2 === 67) && n >= 12 ? 'maestro' : undefined;
    case 8:
      // UnionPay's 81 range, RuPay's 81/82 (16).
      return (p2 === 81 || p2 === 82) && n >= 16 ? 'unionpay' : undefined;
    case 9:
      // Troy (9792).
      return p4 === 9792 && n === 16 ? 'troy' : undefined;
    default:
      return undefined;
  }
}

/**
 * 12–19 Luhn-valid digits with an issuer prefix and a length its network issues (cardNetwork). All one
 * digit (0000…) is a placeholder, not a card.
 */
export function cardDigitsValid(d: string, opts?: CardOptions): boolean {
  return d.length >= 12 && d.length <= 19 && cardNetwork(d, opts) !== undefined && !/^(\d)\1+$/.test(d) && luhnValid(d);
}

const UATP: CardOptions = { uatp: true };
const validDefault = (m: string) => cardDigitsValid(cardDigits(m));
const validUatp = (m: string) => cardDigitsValid(cardDigits(m), UATP);

export function detectCard(text: string, out: Span[], opts?: CardOptions): void {
  const valid = opts?.uatp === true ? validUatp : validDefault;
  regexHits(CARD, 'card', text, out, valid);
  if (text.indexOf('.') >= 0 || text.indexOf('/') >= 0) regexHits(CARD_GROUPED, 'card', text, out, valid);
}
