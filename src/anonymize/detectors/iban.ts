// IBANs: country code, check digits, 11–30 alphanumerics (any length, not only the registered one for the
// country), optionally in groups of four joined by spaces, dashes or dots (DE89-3704-0044-…, DE89.3704.…),
// mod-97-valid.
import { ibanLike } from '../checksums.js';
import { type Span } from './types.js';

const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-.]?[A-Za-z0-9]{4}){2,7}(?:[ \-.]?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])/g;
const SEPARATORS = /[ \-.]/g;
/** The last group, when it is a separator and a word after the IBAN (…0130 00.Thanks). */
const LAST_GROUP = /[ \-.][A-Za-z0-9]{1,4}$/;

export function ibanCompact(m: string): string {
  return m.replace(SEPARATORS, '').toUpperCase();
}

export function detectIban(text: string, out: Span[]): void {
  IBAN.lastIndex = 0;
  for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
    let s = m[0];
    if (!ibanLike(ibanCompact(s))) {
      const cut = LAST_GROUP.exec(s);
      if (cut === null) continue;
      s = s.slice(0, cut.index);
      if (!ibanLike(ibanCompact(s))) continue;
    }
    out.push({ start: m.index, end: m.index + s.length, entity: 'iban' });
  }
}
