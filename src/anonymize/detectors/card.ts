// Payment cards: 13–19 digits (12 for Maestro-style 5/6 prefixes), optionally grouped by single spaces or
// dashes, Luhn-valid.
import { luhnValid } from '../checksums.js';
import { regexHits, type Span } from './types.js';

const CARD = /(?<![\d\-])\d(?:[ \-]?\d){11,18}(?![\d]|[ \-]\d)/g;

export function cardDigits(s: string): string {
  return s.replace(/[^\d]/g, '');
}

export function detectCard(text: string, out: Span[]): void {
  regexHits(CARD, 'card', text, out, (m) => {
    const d = cardDigits(m);
    // All one digit (0000…) is a placeholder, not a card.
    return (d.length >= 13 || (d.length === 12 && (d[0] === '5' || d[0] === '6'))) && d.length <= 19 && !/^(\d)\1+$/.test(d) && luhnValid(d);
  });
}
