// Encoded layers inside a string: runs of 16+ base64 or base64url characters whose decoded bytes are
// UTF-8 text (or JSON). The engine anonymizes the decoded text and writes it back in the same alphabet;
// the leak guard reads the decoded text of every run it meets. One pass over the char codes, each run decoded once.

export interface EncodedRun {
  readonly start: number;
  readonly end: number;
  readonly decoded: string;
  readonly url: boolean;
  readonly padded: boolean;
}

/** The run as a regex run globally over the text would find it (the tests' reference). */
export const RUN_SOURCE = '(?<![A-Za-z0-9+/_\\-])[A-Za-z0-9+/_\\-]{16,}={0,2}(?![A-Za-z0-9+/_\\-=])';
// Tried only at the start of a run of 16+ alphabet characters (see runsOf): sticky.
const RUN = new RegExp(RUN_SOURCE, 'y');

function alphabet(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 95 || c === 45;
}

/**
 * Each match of RUN_SOURCE run globally, in order, without a try at every word: the look-behind puts a
 * match's start at the start of a run of alphabet characters, and `{16,}` needs the run to be 16 long, so
 * the sticky regex is tried there only (a match takes its whole run, so the next one starts after it).
 */
export function base64Runs(text: string, each: (start: number, match: string) => void): void {
  const n = text.length;
  for (let i = 0; i < n;) {
    if (!alphabet(text.charCodeAt(i))) { i++; continue; }
    let j = i + 1;
    while (j < n && alphabet(text.charCodeAt(j))) j++;
    if (j - i >= 16) {
      RUN.lastIndex = i;
      const m = RUN.exec(text);
      if (m !== null) each(i, m[0]);
    }
    i = j;
  }
}
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Decoded text when every character is printable (tabs and newlines allowed), else undefined. */
function asText(bytes: Buffer): string | undefined {
  let s: string;
  try { s = UTF8.decode(bytes); } catch { return undefined; }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127 || c === 0xfffd) return undefined;
  }
  return s;
}

/** The text-bearing base64 runs in `text`, in order, skipping those that overlap `skip` (sorted spans). */
export function encodedRuns(text: string, skip: readonly { start: number; end: number }[] = []): EncodedRun[] {
  if (text.length < 16) return [];
  const out: EncodedRun[] = [];
  let k = 0;
  base64Runs(text, (start, run) => {
    const end = start + run.length;
    while (k < skip.length && skip[k]!.end <= start) k++;
    if (k < skip.length && skip[k]!.start < end) return;
    const body = run.replace(/=+$/, '');
    const url = /[_\-]/.test(body);
    if (url && /[+/]/.test(body)) return;
    if (body.length % 4 === 1) return;
    const decoded = asText(Buffer.from(body, url ? 'base64url' : 'base64'));
    // At least 12 bytes of text: shorter decodings of ids and words are noise.
    if (decoded === undefined || decoded.length < 12) return;
    out.push({ start, end, decoded, url, padded: run.endsWith('=') });
  });
  return out;
}

/** `text` encoded like `run` was (alphabet and padding). */
export function reencode(run: EncodedRun, text: string): string {
  const b = Buffer.from(text, 'utf8');
  if (run.url) return run.padded ? b.toString('base64url').padEnd(Math.ceil(b.length / 3) * 4, '=') : b.toString('base64url');
  const s = b.toString('base64');
  return run.padded ? s : s.replace(/=+$/, '');
}
