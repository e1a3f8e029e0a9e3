// MAC addresses: six hex pairs joined by one consistent ':' or '-', or Cisco's three dotted groups of four
// (0123.4567.89ab) with at least one hex letter (twelve dotted digits are a version or a timestamp).
import { regexHits, type Span } from './types.js';

const MAC = /(?<![0-9A-Fa-f:\-])[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:\-])/g;
const DOTTED = /(?<![0-9A-Za-z.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![0-9A-Za-z]|\.[0-9A-Za-z])/g;
const HEX_LETTER = /[A-Fa-f]/;

export function detectMac(text: string, out: Span[]): void {
  regexHits(MAC, 'mac', text, out);
  if (hasDottedGroups(text)) regexHits(DOTTED, 'mac', text, out, (m) => HEX_LETTER.test(m));
}

/** A dot with another dot five characters on (####.####.####): cheaper than the regex over the whole text. */
function hasDottedGroups(text: string): boolean {
  for (let i = text.indexOf('.'); i >= 0; i = text.indexOf('.', i + 1)) {
    if (text.charCodeAt(i + 5) === 46) return true;
  }
  return false;
}
