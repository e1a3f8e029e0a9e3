// JSON numbers under any key: a bare integer that is a payment card (12–19 Luhn-valid digits) or a NANP
// phone number (ten digits NXX NXX XXXX, or eleven with the leading country code 1). Epoch milliseconds
// (thirteen digits starting with 1, the years 2001–2033) are timestamps, not cards.
import type { Entity } from './types.js';
import { cardDigitsValid } from './card.js';

const NANP = /^1?[2-9]\d{2}[2-9]\d{6}$/;

/** The entity a JSON number's source text is, or undefined. Reads the text: no precision is lost. */
export function numberEntity(src: string): Extract<Entity, 'card' | 'phone'> | undefined {
  const n = src.length;
  if (n < 10 || n > 19) return undefined;
  for (let i = 0; i < n; i++) {
    const c = src.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  if (n >= 12 && !(n === 13 && src[0] === '1') && cardDigitsValid(src)) return 'card';
  if ((n === 10 || n === 11) && NANP.test(src)) return 'phone';
  return undefined;
}
