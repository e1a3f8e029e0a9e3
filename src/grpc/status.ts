// gRPC status codes: names for metrics and reports, and the HTTP status each maps to (the mapping
// grpc-gateway uses), so the comparison engine's error and status logic applies to gRPC answers.

export const GRPC_STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

const HTTP_OF: readonly number[] = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401];

/** The metric label of a grpc-status value (a bounded set: the 17 names or `other`). */
export function grpcStatusLabel(status: number | undefined): string {
  return status === undefined ? 'none' : GRPC_STATUS_NAMES[status] ?? 'other';
}

export function httpStatusOfGrpc(status: number): number {
  return HTTP_OF[status] ?? 500;
}

/** grpc-status from a header or trailer value; undefined when absent or not a number. */
export function readGrpcStatus(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,2}$/.test(v)) return undefined;
  return Number(v);
}

const TIMEOUT_UNITS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout (`100m`, `5S`…) in milliseconds; undefined when absent or malformed. */
export function parseGrpcTimeout(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  return m ? Number(m[1]) * TIMEOUT_UNITS[m[2]!]! : undefined;
}

/** A grpc-timeout header value for a deadline in ms. */
export function formatGrpcTimeout(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}m`;
}
