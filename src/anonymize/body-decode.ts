// What a request body says before anything reads it: Content-Encoding undone (gzip, deflate, br, with a
// bound on the decoded size: a zip bomb fails as body_too_large) and the charset honoured (UTF-8 strict,
// UTF-16 LE/BE with or without a BOM, ISO-8859-1/windows-1252). Nothing unreadable is passed through: an
// unknown coding or charset, or bytes invalid in theirs, fail as unreadable_body. Pure and synchronous.
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync, type ZlibOptions } from 'node:zlib';

export type BodyFailureReason = 'unreadable_body' | 'body_too_large';
export interface BodyFailure { readonly reason: BodyFailureReason; readonly detail: string }

export function isBodyFailure(x: unknown): x is BodyFailure {
  return typeof x === 'object' && x !== null && 'reason' in x && !Buffer.isBuffer(x);
}

/** Decoded size bound when the caller gives none (the default server.maxBodyBytes). */
export const DEFAULT_MAX_DECODED_BYTES = 1024 * 1024;

function inflate(body: Buffer, coding: string, opts: ZlibOptions): Buffer {
  switch (coding) {
    case 'gzip': case 'x-gzip': return gunzipSync(body, opts);
    case 'br': return brotliDecompressSync(body, { maxOutputLength: opts.maxOutputLength });
    default:
      // deflate: RFC 9110 says zlib-wrapped; some clients send raw deflate.
      try { return inflateSync(body, opts); } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw err;
        return inflateRawSync(body, opts);
      }
  }
}

/**
 * The body with every Content-Encoding undone (the header lists codings in the order applied), or why
 * not. `identity` and an absent header leave the bytes as they are.
 */
export function decodeContent(body: Buffer, header: string | undefined, maxBytes: number): Buffer | BodyFailure {
  if (header === undefined) return body;
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  let out = body;
  for (const coding of codings.reverse()) {
    if (!['gzip', 'x-gzip', 'deflate', 'br'].includes(coding)) {
      return { reason: 'unreadable_body', detail: `unsupported content-encoding "${coding.slice(0, 32)}"` };
    }
    try {
      out = inflate(out, coding, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
        return { reason: 'body_too_large', detail: `the ${coding} body decodes to more than ${maxBytes} bytes` };
      }
      return { reason: 'unreadable_body', detail: `the body is not valid ${coding}` };
    }
  }
  return out;
}

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/** The `charset` parameter of a content type, lower-cased and unquoted, or undefined. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const v = m?.[1] ?? m?.[2];
  return v === undefined || v === '' ? undefined : v.toLowerCase();
}

/** UTF-16 without a BOM: text is mostly ASCII, so the zero bytes say the order (default big-endian). */
function sniffUtf16(b: Buffer): 'utf-16le' | 'utf-16be' {
  let even = 0;
  let odd = 0;
  const n = Math.min(b.length, 256);
  for (let i = 0; i < n; i++) if (b[i] === 0) { if (i % 2 === 0) even++; else odd++; }
  return odd > even ? 'utf-16le' : 'utf-16be';
}

function bomEncoding(b: Buffer): TextEncodingName | undefined {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** Zero bytes in a body without a charset: UTF-16 (JSON's RFC 4627 detection), never UTF-8 text. */
function looksUtf16(b: Buffer): boolean {
  const n = Math.min(b.length, 64);
  if (n < 2 || b.length % 2 !== 0) return false;
  let zeros = 0;
  for (let i = 0; i < n; i++) if (b[i] === 0) zeros++;
  return zeros * 4 >= n;
}

/** Which decoder reads these bytes under this charset, or why none can. */
export function textEncodingOf(b: Buffer, charset: string | undefined): TextEncodingName | BodyFailure {
  const bom = bomEncoding(b);
  if (charset === undefined) return bom ?? (looksUtf16(b) ? sniffUtf16(b) : 'utf-8');
  if (charset === 'utf-16' || charset === 'utf16' || charset === 'ucs-2') return bom === 'utf-16le' || bom === 'utf-16be' ? bom : sniffUtf16(b);
  if (charset === 'us-ascii' || charset === 'ascii') return 'utf-8';
  let enc: string;
  try { enc = new TextDecoder(charset).encoding; } catch { enc = ''; }
  if (enc === 'utf-8' || enc === 'utf-16le' || enc === 'utf-16be' || enc === 'windows-1252') return enc;
  return { reason: 'unreadable_body', detail: `unsupported charset "${charset.slice(0, 32)}"` };
}

const DECODERS: Readonly<Record<TextEncodingName, InstanceType<typeof TextDecoder>>> = {
  'utf-8': new TextDecoder('utf-8', { fatal: true }),
  'utf-16le': new TextDecoder('utf-16le', { fatal: true }),
  'utf-16be': new TextDecoder('utf-16be', { fatal: true }),
  'windows-1252': new TextDecoder('windows-1252', { fatal: true }),
};

export interface DecodedText {
  readonly text: string;
  /** False only for plain UTF-8 without a BOM: then the source bytes are exactly Buffer.from(text). */
  readonly transcoded: boolean;
}

/** The body's text (BOM removed), or unreadable_body when the bytes are not valid in their charset. */
export function decodeText(b: Buffer, charset: string | undefined): DecodedText | BodyFailure {
  const enc = textEncodingOf(b, charset);
  if (typeof enc !== 'string') return enc;
  try {
    const text = DECODERS[enc].decode(b);
    return { text, transcoded: enc !== 'utf-8' || bomEncoding(b) === 'utf-8' };
  } catch {
    return { reason: 'unreadable_body', detail: `the body is not valid ${enc}` };
  }
}

/** `type; charset=utf-8` for a content type whose body was transcoded (other parameters are kept). */
export function utf8ContentType(contentType: string): string {
  const parts = contentType.split(';').map((p) => p.trim()).filter((p, i) => i === 0 || (p !== '' && !/^charset\s*=/i.test(p)));
  return [...parts, 'charset=utf-8'].join('; ');
}

/**
 * The ways an opaque body may carry text: its bytes as ASCII/Latin-1, and as UTF-16 in both byte orders
 * and both alignments. The leak guard reads each for structural entities.
 */
export function byteViews(b: Buffer): string[] {
  const views = [b.toString('latin1')];
  for (const offset of [0, 1]) {
    const aligned = b.subarray(offset, offset + ((b.length - offset) & ~1));
    if (aligned.length < 2) continue;
    views.push(aligned.toString('utf16le'));
    views.push(Buffer.from(aligned).swap16().toString('utf16le'));
  }
  return views;
}
