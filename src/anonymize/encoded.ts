// Encoded layers inside a string: runs of 16+ base64 or base64url characters whose decoded bytes are
// UTF-8 text (or JSON). The engine anonymizes the decoded text and writes it back in the same alphabet;
// the leak guard reads the decoded text of every run it meets. One regex pass, each run decoded once.

export interface EncodedRun {
  readonly start: number;
  readonly end: number;
  readonly decoded: string;
  readonly url: boolean;
  readonly padded: boolean;
}

const RUN = /(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{16,}={0,2}(?![A-Za-z0-9+/_\-=])/g;
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
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    while (k < skip.length && skip[k]!.end <= start) k++;
    if (k < skip.length && skip[k]!.start < end) continue;
    const body = m[0].replace(/=+$/, '');
    const url = /[_\-]/.test(body);
    if (url && /[+/]/.test(body)) continue;
    if (body.length % 4 === 1) continue;
    const decoded = asText(Buffer.from(body, url ? 'base64url' : 'base64'));
    // At least 12 bytes of text: shorter decodings of ids and words are noise.
    if (decoded === undefined || decoded.length < 12) continue;
    out.push({ start, end, decoded, url, padded: m[0].endsWith('=') });
  }
  return out;
}

/** `text` encoded like `run` was (alphabet and padding). */
export function reencode(run: EncodedRun, text: string): string {
  const b = Buffer.from(text, 'utf8');
  if (run.url) return run.padded ? b.toString('base64url').padEnd(Math.ceil(b.length / 3) * 4, '=') : b.toString('base64url');
  const s = b.toString('base64');
  return run.padded ? s : s.replace(/=+$/, '');
}
