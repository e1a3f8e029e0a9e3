// JSON numbers under any key: a bare integer that is a payment card (an issuer's prefix and length,
// Luhn-valid: card.ts) or a NANP phone number (ten digits NXX NXX XXXX, or eleven with the leading
// country code 1). Epoch milliseconds (thirteen digits starting with 1, the years 2001–2033) are
// timestamps, not cards. An integral float (`4111111111111111.0`, `4155550132.0`, as pandas writes an
// integer column with a missing value) is read as its integer.
import type { Entity } from './types.js';
import { cardDigitsValid, type CardOptions } from './card.js';

const NANP = /^1?[2-9]\d{2}[2-9]\d{6}$/;

/** The length of `src`'s integer part when the rest is `.0…` (an integral float), else its length. */
export function integralLength(src: string): number {
  const dot = src.indexOf('.');
  if (dot < 0) return src.length;
  for (let i = dot + 1; i < src.length; i++) if (src.charCodeAt(i) !== 48) return -1;
  return dot + 1 < src.length ? dot : -1;
}

/** The entity a JSON number's source text is, or undefined. Reads the text: no precision is lost. */
export function numberEntity(src: string, opts?: CardOptions): Extract<Entity, 'card' | 'phone'> | undefined {
  const n = integralLength(src);
  if (n < 10 || n > 19) return undefined;
  for (let i = 0; i < n; i++) {
    const c = src.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const digits = n === src.length ? src : src.slice(0, n);
  if (n >= 12 && !(n === 13 && src[0] === '1') && cardDigitsValid(digits, opts)) return 'card';
  if ((n === 10 || n === 11) && NANP.test(digits)) return 'phone';
  return undefined;
}
