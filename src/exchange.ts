// The shapes that cross rooms: a raw live request (never leaves the process except to the primary),
// the anonymized copy (the only form a shadow target, the dataset or a log may see), and the shadow
// exchange handed to onShadowResult consumers (comparison, metrics, recording).
import type { IncomingHttpHeaders } from 'node:http';
import type { ChunkMarks } from './compare/stream.js';

export interface RawRequest {
  readonly method: string;
  /** Path and query string as received, e.g. `/v1/predict?x=1`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface AnonymizedRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case names; only what the policy kept (credentials pseudonymized). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** incumbent: the control (shadow.targets[0]); candidate: shadow.targets[1]; baseline: a second control call. */
export type ShadowRole = 'incumbent' | 'candidate' | 'baseline';
export const SHADOW_ROLES: readonly ShadowRole[] = ['incumbent', 'candidate', 'baseline'];

export type ShadowFailure = 'timeout' | 'refused' | 'reset' | 'too_large' | 'error';

export interface ShadowResponse {
  readonly target: string;
  readonly role: ShadowRole;
  /** 0 when no response arrived. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly latencyMs: number;
  /** Set when the call failed; status is then 0 and body empty. */
  readonly error?: ShadowFailure;
  /** A streamed body (SSE, NDJSON): when its bytes arrived, for token timing (compare/stream.ts). */
  readonly chunks?: ChunkMarks;
}

export interface ShadowExchange {
  readonly route: string;
  readonly requestId: string;
  /** `name@` + 12 hex digits of the policy's sha256, or `none` for raw synthetic traffic. */
  readonly policyId: string;
  /** Epoch milliseconds when the copy was dispatched. */
  readonly ts: number;
  readonly request: AnonymizedRequest;
  readonly responses: Readonly<Partial<Record<ShadowRole, ShadowResponse>>>;
}
