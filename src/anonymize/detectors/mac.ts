// MAC addresses: six hex pairs joined by one consistent ':' or '-'.
import { regexHits, type Span } from './types.js';

const MAC = /(?<![0-9A-Fa-f:\-])[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:\-])/g;

export function detectMac(text: string, out: Span[]): void {
  regexHits(MAC, 'mac', text, out);
}
