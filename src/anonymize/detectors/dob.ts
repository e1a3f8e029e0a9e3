// Dates of birth in free text: a date right after a birth cue ("my dob is 02/03/1985", "born on 2 March
// 1985", "date of birth: 1985-03-02", "geboren am 2.3.1985"). A date alone is no birth date (an order
// date, a deadline); under a birth-like key or column the key says so (key-names.ts), not this detector.
import { DATE_SOURCE, parseDate } from './dates.js';
import type { Span } from './types.js';

const CUE = '(?:date of birth|birth ?date|birthday|d\\.?o\\.?b\\.?|born(?: on)?|geboren(?: am)?|n[ée]e? le|fecha de nacimiento|data di nascita|date de naissance)';
// The cue, then at most a few filler words or marks ("is", "was", ":", "on"), then the date.
const DOB = new RegExp(`(?<![\\p{L}\\p{N}])${CUE}(?![\\p{L}])[ \\t:=\\-,]{0,4}(?:(?:is|was|on|of|:)[ \\t:]{1,3}){0,2}(${DATE_SOURCE})(?![\\p{L}\\p{N}]|[\\-/.]\\d)`, 'giu');
const HINT = /birth|dob|d\.o\.b|born|geboren|n[ée]e? le|nacimiento|nascita|naissance/i;

export function detectDob(text: string, out: Span[]): void {
  if (!HINT.test(text)) return;
  DOB.lastIndex = 0;
  for (let m = DOB.exec(text); m !== null; m = DOB.exec(text)) {
    const date = m[1]!;
    if (parseDate(date) === undefined) continue;
    const start = m.index + m[0].length - date.length;
    out.push({ start, end: start + date.length, entity: 'dob' });
  }
}
