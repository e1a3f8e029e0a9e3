// One meaning for a failed upstream call, for the live path (504 or 502) and the copy pipeline (the
// failure kind a comparison counts). The rule that decides the contested case:
//   - a deadline passed (undici's connect, headers and body timeouts, a `TimeoutError` from
//     AbortSignal.timeout, or our own deadline aborting with a timeout code) → `timeout`;
//   - the call was cancelled by our side (an `AbortError`, undici's UND_ERR_ABORTED: the client left, the
//     process drains, a pool closed) → `aborted`: the upstream was neither slow nor down, so it is no
//     timeout of the target (the live path answers 502, a copy counts a plain error, not a timeout);
//   - the upstream would not take the connection → `refused`; it dropped one → `reset`; else `error`.
export type UpstreamFailure = 'timeout' | 'aborted' | 'refused' | 'reset' | 'error';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH']);
const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

export function classifyUpstreamFailure(err: unknown): UpstreamFailure {
  const e = err as { code?: unknown; name?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const name = typeof e?.name === 'string' ? e.name : '';
  if (TIMEOUT_CODES.has(code) || name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  if (REFUSED_CODES.has(code)) return 'refused';
  if (RESET_CODES.has(code)) return 'reset';
  return 'error';
}
