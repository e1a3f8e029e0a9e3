// US Social Security numbers with Presidio's invalidation rules (area 000/666, group 00, serial 0000,
// one repeated digit, well-known sample numbers). Delimited forms only: nine bare digits are too common.
import { regexHits, type Span } from './types.js';

const SSN = /(?<![\d\-.])\d{3}([\- .])\d{2}\1\d{4}(?![\d]|[\-.]\d)/g;
const SAMPLES = new Set(['123456789', '078051120', '219099999', '457555462']);

export function ssnDigitsValid(d: string): boolean {
  if (d.length !== 9 || /^(\d)\1+$/.test(d) || SAMPLES.has(d)) return false;
  const area = d.slice(0, 3);
  return area !== '000' && area !== '666' && d.slice(3, 5) !== '00' && d.slice(5) !== '0000';
}

export function detectSsn(text: string, out: Span[]): void {
  regexHits(SSN, 'ssn', text, out, (m) => ssnDigitsValid(m.replace(/\D/g, '')));
}
