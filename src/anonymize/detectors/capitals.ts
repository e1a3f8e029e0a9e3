// Capitalised runs found without trying a regex at every position: a pattern that starts with `\p{Lu}`
// can only match where an upper-case letter starts, so a loop over the char codes picks those positions
// and the regex, sticky, is tried there only. On prose (a capital every ~25 characters) this is several
// times cheaper than the engine's own search, whose `\p{Lu}` class with astral ranges defeats its skips.

const UPPER = /^\p{Lu}$/u;
// An ASCII capital or any code unit above ASCII (then mayStartUpper decides): a plain class the regex
// engine scans for natively, faster than a loop over the char codes.
const CANDIDATE = /[A-Z\u0080-\uffff]/g;
const SHORT = 128;
// Per BMP code unit above ASCII: 0 not yet known, 1 an upper-case letter, 2 not. Filled on first sight.
const bmp = new Uint8Array(0x10000);

/** False only where no `\p{Lu}` code point can start (a high surrogate is left to the regex). */
function mayStartUpper(c: number): boolean {
  if (c < 128) return c >= 65 && c <= 90;
  if (c >= 0xd800 && c <= 0xdbff) return true;
  let k = bmp[c]!;
  if (k === 0) {
    k = UPPER.test(String.fromCharCode(c)) ? 1 : 2;
    bmp[c] = k;
  }
  return k === 1;
}

/**
 * The match that `re` run as a global regex from `from` finds, for a sticky (`y`) unicode regex whose
 * every match starts with `\p{Lu}`: the leftmost position ≥ `from` where it matches. Positions where no
 * upper-case letter starts cannot match, so only the others are tried, in order.
 */
export function nextCapitalRun(re: RegExp, text: string, from: number): RegExpExecArray | null {
  if (text.length - from < SHORT) {
    // A short text (a JSON value, a name): a loop costs less than a call into the regex engine.
    for (let i = from; i < text.length; i++) {
      if (!mayStartUpper(text.charCodeAt(i))) continue;
      re.lastIndex = i;
      const m = re.exec(text);
      if (m !== null) return m;
    }
    return null;
  }
  CANDIDATE.lastIndex = from;
  for (let c = CANDIDATE.exec(text); c !== null; c = CANDIDATE.exec(text)) {
    const i = c.index;
    if (!mayStartUpper(text.charCodeAt(i))) continue;
    re.lastIndex = i;
    const m = re.exec(text);
    if (m !== null) return m;
  }
  return null;
}
