// Government identifiers by shape and by cue: UK National Insurance numbers (two prefix letters from the
// issued sets, six digits, a suffix A–D: AB123456C, AB 12 34 56 C) and passport numbers after a passport
// cue ("passport number 123456789", "passport no: X12345678"; alone, nine digits are any id).
import { regexHits, type Span } from './types.js';

// HMRC's rules: first letter not D F I Q U V, second not D F I O Q U V, never BG GB KN NK NT TN ZZ.
const NINO = /(?<![A-Za-z0-9])(?!(?:BG|GB|KN|NK|NT|TN|ZZ|bg|gb|kn|nk|nt|tn|zz))[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z][A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z]([ \-]?)\d{2}\1\d{2}\1\d{2}\1[A-Da-d](?![A-Za-z0-9])/g;

const PASSPORT_CUE = /(?<![\p{L}])(?:passport|passeport|reisepass|pasaporte|passaporto)(?:[ \t]{1,3}(?:no\.?|nr\.?|number|num\.?|#|id))?[ \t]{0,3}(?:(?:is|was|:|=|#)[ \t]{0,3}){0,2}([A-Za-z]{0,2}\d{6,9}[A-Za-z]?)(?![\p{L}\p{N}])/giu;

export function ninoValid(compact: string): boolean {
  NINO.lastIndex = 0;
  const m = NINO.exec(compact);
  return m !== null && m[0].length === compact.length;
}

export function detectNino(text: string, out: Span[]): void {
  regexHits(NINO, 'nino', text, out);
}

export function detectPassport(text: string, out: Span[]): void {
  if (!/pass|reisepass|pasaporte/i.test(text)) return;
  PASSPORT_CUE.lastIndex = 0;
  for (let m = PASSPORT_CUE.exec(text); m !== null; m = PASSPORT_CUE.exec(text)) {
    const id = m[1]!;
    const start = m.index + m[0].length - id.length;
    out.push({ start, end: start + id.length, entity: 'passport' });
  }
}
