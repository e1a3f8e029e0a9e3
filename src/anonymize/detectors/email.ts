// Email addresses. Starts only at a token boundary and every quantifier is bounded, so a run such as
// `a@a@a…` costs a constant per position.
import { regexHits, type Span } from './types.js';

const EMAIL = /(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?){0,6}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

export function detectEmail(text: string, out: Span[]): void {
  if (text.indexOf('@') < 0) return;
  regexHits(EMAIL, 'email', text, out);
}
