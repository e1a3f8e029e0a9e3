// The one request-id rule, for the proxy (live answers, errors, the forwarded head, the copies) and the
// admin API: the caller's x-request-id is kept when it is a plain token (letters, digits, `.`, `_`, `:`,
// `-`, at most 128 characters: safe in a header, a log line and a file name), otherwise a fresh UUID.
import { randomUUID } from 'node:crypto';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it is a plain token; otherwise a fresh one. */
export function requestIdOf(given: string | readonly string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

