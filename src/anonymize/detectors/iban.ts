// IBANs: country code, check digits, 11–30 alphanumerics (any length, not only the registered one for the
// country), optionally in groups of four, mod-97-valid.
import { ibanLike } from '../checksums.js';
import { regexHits, type Span } from './types.js';

const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![A-Za-z0-9])/g;

export function detectIban(text: string, out: Span[]): void {
  regexHits(IBAN, 'iban', text, out, (m) => ibanLike(m.replace(/ /g, '').toUpperCase()));
}
