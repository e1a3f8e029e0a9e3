// Email addresses. Starts only at a token boundary and every quantifier is bounded, so a run such as
// `a@a@a…` costs a constant per position.
import { regexHits, type Span } from './types.js';

// Internationalized addresses too (EAI local parts, IDN domains: maría@correo-münchen.de), letters and
// marks of any script; the text is NFKC-normalized before (fullwidth ＠ is @).
const DOMAIN = '[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N}\\-]{0,62}[\\p{L}\\p{M}\\p{N}])?(?:\\.[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N}\\-]{0,62}[\\p{L}\\p{M}\\p{N}])?){0,6}\\.(?:\\p{L}{2,24}|xn--[a-z0-9\\-]{1,59})(?![\\p{L}\\p{M}\\p{N}\\-])';
const EMAIL = new RegExp(`(?<![\\p{L}\\p{M}\\p{N}._%+\\-])[\\p{L}\\p{M}\\p{N}._%+\\-]{1,64}@${DOMAIN}`, 'gu');
// A quoted local part (RFC 5321): "john.doe"@example.com, "john doe"@example.com.
const QUOTED = new RegExp(`"[^"\\\\\\r\\n]{1,64}"@${DOMAIN}`, 'gu');

export function detectEmail(text: string, out: Span[]): void {
  if (text.indexOf('@') < 0) return;
  regexHits(EMAIL, 'email', text, out);
  if (text.indexOf('"@') >= 0) regexHits(QUOTED, 'email', text, out);
}
