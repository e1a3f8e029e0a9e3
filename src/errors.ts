// The one error family: every failure a caller may branch on has a stable SG_ERR_* code and an HTTP
// status, so clients and operators never parse message text. Messages never carry user data or keys.

export class ShadowgateError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShadowgateError';
    this.code = code;
    this.status = status;
  }
}

export class ConfigError extends ShadowgateError {
  /** One line per problem, each starting with the path in the file (`routes[0].shadow.maxRps: …`). */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], source?: string) {
    super('SG_ERR_CONFIG', `${source ? `${source}: ` : ''}invalid configuration:\n  ${problems.join('\n  ')}`, 500);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export const errors = {
  bodyTooLarge: (limit: number) =>
    new ShadowgateError('SG_ERR_BODY_TOO_LARGE', `request body exceeds ${limit} bytes`, 413),
  noRoute: () => new ShadowgateError('SG_ERR_NO_ROUTE', 'no route matches this request', 404),
  upstreamUnavailable: (upstream: string) =>
    new ShadowgateError('SG_ERR_UPSTREAM_UNAVAILABLE', `upstream ${upstream} refused or reset the connection`, 502),
  upstreamTimeout: (upstream: string) =>
    new ShadowgateError('SG_ERR_UPSTREAM_TIMEOUT', `upstream ${upstream} did not answer in time`, 504),
  badGateway: (upstream: string) =>
    new ShadowgateError('SG_ERR_BAD_GATEWAY', `upstream ${upstream} sent an invalid response`, 502),
  upstreamBusy: (upstream: string) =>
    new ShadowgateError('SG_ERR_UPSTREAM_BUSY', `upstream ${upstream} has too many requests waiting for a connection`, 503),
  clientTimeout: (what: string) => new ShadowgateError('SG_ERR_CLIENT_TIMEOUT', `the client sent no ${what} in time`, 408),
  uriTooLong: (limit: number) => new ShadowgateError('SG_ERR_URI_TOO_LONG', `the request line exceeds ${limit} bytes`, 414),
  headersTooLarge: (what: string) => new ShadowgateError('SG_ERR_HEADERS_TOO_LARGE', `request header fields too large: ${what}`, 431),
  methodNotAllowed: (method: string) => new ShadowgateError('SG_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed here`, 405),
  rateLimited: () => new ShadowgateError('SG_ERR_RATE_LIMITED', 'too many requests for this route', 429),
  draining: () => new ShadowgateError('SG_ERR_DRAINING', 'the proxy is shutting down', 503),
  unauthorized: () => new ShadowgateError('SG_ERR_UNAUTHORIZED', 'a valid bearer token is required', 401),
  forbidden: (need: string) => new ShadowgateError('SG_ERR_FORBIDDEN', `this action needs the ${need} role`, 403),
  badRequest: (message: string) => new ShadowgateError('SG_ERR_BAD_REQUEST', message, 400),
  notFound: (what: string) => new ShadowgateError('SG_ERR_NOT_FOUND', `${what} not found`, 404),
} as const;

/** The JSON body every error response carries. */
export function errorBody(err: ShadowgateError, requestId: string): string {
  return JSON.stringify({ error: { code: err.code, message: err.message, requestId } });
}
