// The one error family: every failure a caller may branch on has a stable SG_ERR_* code and an HTTP
// status, so clients and operators never parse message text. Messages never carry user data or keys.
// ERROR_CODES is the registry: every code, its HTTP status and what it means (README "Errors" lists it);
// a code that is not here does not compile.

export const ERROR_CODES = {
  // Live path (the proxy's answers to clients)
  SG_ERR_NO_ROUTE: { status: 404, meaning: 'no route matches the request and there is no passthrough' },
  SG_ERR_BODY_TOO_LARGE: { status: 413, meaning: 'the request body exceeds server.maxBodyBytes' },
  SG_ERR_CLIENT_TIMEOUT: { status: 408, meaning: 'the client did not finish its head or body in time (server.timeouts)' },
  SG_ERR_URI_TOO_LONG: { status: 414, meaning: 'the request line exceeds 16 KB' },
  SG_ERR_HEADERS_TOO_LARGE: { status: 431, meaning: 'more header fields than server.maxHeaders, or a head too large' },
  SG_ERR_METHOD_NOT_ALLOWED: { status: 405, meaning: 'the method is not allowed (TRACE unless a route allows it; a route\'s methods)' },
  SG_ERR_BAD_REQUEST: { status: 400, meaning: 'a malformed request (target, duplicate Host, an admin body that fails validation)' },
  SG_ERR_RATE_LIMITED: { status: 429, meaning: 'a route\'s live limit refused the request (Retry-After says when to retry)' },
  SG_ERR_UPSTREAM_UNAVAILABLE: { status: 502, meaning: 'the upstream refused or reset the connection' },
  SG_ERR_BAD_GATEWAY: { status: 502, meaning: 'the upstream sent an invalid response' },
  SG_ERR_UPSTREAM_TIMEOUT: { status: 504, meaning: 'no answer within the upstream\'s timeout, time queued for a connection included' },
  SG_ERR_UPSTREAM_BUSY: { status: 503, meaning: 'the upstream\'s queue (maxQueue) is full; Retry-After set' },
  SG_ERR_DRAINING: { status: 503, meaning: 'the proxy is shutting down' },
  SG_ERR_INTERNAL: { status: 500, meaning: 'a bug: the proxy failed where it should not' },
  // Admin API
  SG_ERR_UNAUTHORIZED: { status: 401, meaning: 'no valid bearer token' },
  SG_ERR_FORBIDDEN: { status: 403, meaning: 'the token\'s role is too low for the action' },
  SG_ERR_FORBIDDEN_ORIGIN: { status: 403, meaning: 'without tokens: a foreign Host or a cross-site Origin (browser protection)' },
  SG_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'a mutation without Content-Type: application/json' },
  SG_ERR_AUTH_RATE_LIMITED: { status: 429, meaning: 'too many failed tokens from this source; Retry-After set' },
  SG_ERR_NOT_FOUND: { status: 404, meaning: 'no such route, endpoint or resource' },
  SG_ERR_CONFLICT: { status: 409, meaning: 'the action does not fit the route\'s state (e.g. resume without a rollout)' },
  SG_ERR_NO_CANARY: { status: 409, meaning: 'the route has no canary to steer' },
  SG_ERR_RELOAD: { status: 409, meaning: 'the process was started without a config file to re-read' },
  SG_ERR_CONSOLE_NOT_BUILT: { status: 404, meaning: 'the console bundle is missing from dist/console (npm run build)' },
  SG_ERR_ADMIN_INSECURE: { status: 500, meaning: 'the admin port binds a non-loopback address with no tokens: refused at start' },
  SG_ERR_EXPERIMENT_GATE: { status: 409, meaning: 'a canary of a candidate bound to an experiment that has not concluded pass (override: operator, with a reason)' },
  SG_ERR_AUDIT: { status: 500, meaning: 'the audit trail could not be written or read' },
  // Configuration, state and data
  SG_ERR_CONFIG: { status: 422, meaning: 'an invalid configuration (at start: exit 1; on reload: 422 and the running one stays); every problem names its path in the file' },
  SG_ERR_STATE_FILE: { status: 500, meaning: 'the persisted canary state file could not be read or written' },
  SG_ERR_STATE: { status: 500, meaning: 'the state backend (ipc or redis) failed an operation' },
  SG_ERR_BAD_SNAPSHOT: { status: 400, meaning: 'an evidence snapshot from another process is malformed' },
  SG_ERR_THREADS: { status: 500, meaning: 'the shadow threads could not start or were misconfigured' },
  SG_ERR_DATASET: { status: 400, meaning: 'a dataset (replay input) could not be read' },
  SG_ERR_LEDGER: { status: 500, meaning: 'the lineage ledger or a signing/encryption key could not be read, written or verified' },
  SG_ERR_IO: { status: 500, meaning: 'a file named on the command line could not be read or written' },
  // Command line and demo (the CLI exits 2 on SG_ERR_USAGE, 1 on the others)
  SG_ERR_USAGE: { status: 400, meaning: 'wrong command-line flags or arguments' },
  SG_ERR_DEMO_OPTIONS: { status: 400, meaning: 'invalid demo options' },
  SG_ERR_DEMO_START: { status: 500, meaning: 'the demo could not start its models or proxy' },
  SG_ERR_DEMO_CONFIG: { status: 500, meaning: 'config/demo.yaml could not be found or loaded' },
  SG_ERR_DEMO_LISTEN: { status: 500, meaning: 'a demo model could not bind its port' },
  SG_ERR_DEMO_BUILD: { status: 500, meaning: 'the demo runs from a build that is missing (npm run build)' },
} as const satisfies Record<string, { readonly status: number; readonly meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ShadowgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** `status` defaults to the registry's; tests check that no call site passes another. */
  constructor(code: ErrorCode, message: string, status: number = ERROR_CODES[code].status, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShadowgateError';
    this.code = code;
    this.status = status;
  }
}

export class ConfigError extends ShadowgateError {
  /** One line per problem, each starting with the path in the file (`routes[0].shadow.maxRps: …`). */
  readonly problems: readonly string[];
  /** The same problems as a compiler prints them (`file:line:column: path: message`), root cause first. */
  readonly located: readonly string[];
  constructor(problems: readonly string[], source?: string, located?: readonly string[]) {
    super('SG_ERR_CONFIG', `${source ? `${source}: ` : ''}invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.located = located ?? problems.map((p) => (source ? `${source}: ${p}` : p));
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
