// Calendar dates as people write them (2024-03-02, 02/03/1985, 2.3.85, 2nd of March 1985, March 2, 1985),
// parsed into a year, month and day and written back in the same layout: what the date-of-birth detector
// finds and what its pseudonym shifts.

export const MONTH = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
/** One date, anchored nowhere: the detectors wrap it. Every quantifier is bounded. */
export const DATE_SOURCE = `(?:\\d{4}[\\-/.]\\d{1,2}[\\-/.]\\d{1,2}|\\d{1,2}[\\-/.]\\d{1,2}[\\-/.](?:\\d{4}|\\d{2})|\\d{1,2}(?:st|nd|rd|th)?(?: of)? ${MONTH}\\.?,? \\d{4}|${MONTH}\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4})`;

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export interface ParsedDate {
  readonly y: number;
  readonly m: number;
  readonly d: number;
  /** The same layout with another date. */
  render(y: number, m: number, d: number): string;
}

const ISO = /^(\d{4})([\-/.])(\d{1,2})\2(\d{1,2})$/;
const NUMERIC = /^(\d{1,2})([\-/.])(\d{1,2})\2(\d{4}|\d{2})$/;
const DAY_MONTH = new RegExp(`^(\\d{1,2})(st|nd|rd|th)?((?: of)? )(${MONTH})(\\.?,? )(\\d{4})$`, 'i');
const MONTH_DAY = new RegExp(`^(${MONTH})(\\.? )(\\d{1,2})(st|nd|rd|th)?(,? )(\\d{4})$`, 'i');

function valid(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || y < 1000 || y > 2999) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const pad = (n: number, like: string) => String(n).padStart(like.length, '0');

function ordinal(d: number): string {
  if (d % 100 >= 11 && d % 100 <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][d % 10] ?? 'th';
}

function monthWord(m: number, like: string): string {
  const full = MONTH_NAMES[m - 1]!;
  const word = like.length <= 3 || (like.length === 4 && like.toLowerCase() === 'sept') ? full.slice(0, like.length === 4 ? 3 : like.length) : full;
  if (like === like.toUpperCase()) return word.toUpperCase();
  if (like === like.toLowerCase()) return word.toLowerCase();
  return word;
}

function monthOf(word: string): number {
  const k = word.slice(0, 3).toLowerCase();
  return MONTH_NAMES.findIndex((n) => n.slice(0, 3).toLowerCase() === k) + 1;
}

function twoDigitYear(yy: number): number {
  const now = new Date().getUTCFullYear() % 100;
  return yy > now ? 1900 + yy : 2000 + yy;
}

/**
 * The date `s` spells, or undefined. Day-first or month-first numeric dates are read month-first only
 * when the day-first reading is impossible or the separator is `/` and both readings are possible (the
 * US habit); either way the same text always reads the same.
 */
export function parseDate(s: string): ParsedDate | undefined {
  let m = ISO.exec(s);
  if (m) {
    const [, ys, sep, ms, ds] = m as unknown as [string, string, string, string, string];
    const y = Number(ys), mo = Number(ms), d = Number(ds);
    if (!valid(y, mo, d)) return undefined;
    return { y, m: mo, d, render: (y2, m2, d2) => `${y2}${sep}${pad(m2, ms)}${sep}${pad(d2, ds)}` };
  }
  m = NUMERIC.exec(s);
  if (m) {
    const [, a, sep, b, ys] = m as unknown as [string, string, string, string, string];
    const y = ys.length === 2 ? twoDigitYear(Number(ys)) : Number(ys);
    const yOut = (y2: number) => (ys.length === 2 ? pad(y2 % 100, ys) : String(y2));
    const dayFirst = valid(y, Number(b), Number(a));
    const monthFirst = valid(y, Number(a), Number(b));
    if (monthFirst && (!dayFirst || sep === '/')) {
      return { y, m: Number(a), d: Number(b), render: (y2, m2, d2) => `${pad(m2, a)}${sep}${pad(d2, b)}${sep}${yOut(y2)}` };
    }
    if (!dayFirst) return undefined;
    return { y, m: Number(b), d: Number(a), render: (y2, m2, d2) => `${pad(d2, a)}${sep}${pad(m2, b)}${sep}${yOut(y2)}` };
  }
  m = DAY_MONTH.exec(s);
  if (m) {
    const [, ds, suffix, of, mw, gap, ys] = m as unknown as [string, string, string | undefined, string, string, string, string];
    const y = Number(ys), mo = monthOf(mw), d = Number(ds);
    if (!valid(y, mo, d)) return undefined;
    return { y, m: mo, d, render: (y2, m2, d2) => `${pad(d2, ds)}${suffix === undefined ? '' : ordinal(d2)}${of}${monthWord(m2, mw)}${gap}${y2}` };
  }
  m = MONTH_DAY.exec(s);
  if (m) {
    const [, mw, gap1, ds, suffix, gap2, ys] = m as unknown as [string, string, string, string, string | undefined, string, string];
    const y = Number(ys), mo = monthOf(mw), d = Number(ds);
    if (!valid(y, mo, d)) return undefined;
    return { y, m: mo, d, render: (y2, m2, d2) => `${monthWord(m2, mw)}${gap1}${pad(d2, ds)}${suffix === undefined ? '' : ordinal(d2)}${gap2}${y2}` };
  }
  return undefined;
}
