// The messages between the live thread and the shadow threads: one crossing per copy each way. Copies
// go out in per-tick batches with their bodies transferred; compact results come back in batches.
import type { Config } from '../config/schema.js';
import type { CallSummary, ExchangeDiff } from '../compare/index.js';
import type { DropReason } from '../shadow/shadow.js';
import type { StreamObservation } from '../compare/stream-book.js';
import type { QualityObservation } from '../quality/index.js';
import type { IdleGcRun } from '../observe/idle-gc.js';

/** One admitted copy, as the live thread hands it over (the raw request: anonymization happens there). */
export interface CopyMessage {
  readonly id: number;
  /** The configuration generation the copy was admitted under; the thread processes it under the same. */
  readonly generation: number;
  readonly route: string;
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Owns its ArrayBuffer (transferred, never a view into Node's shared buffer pool). */
  readonly body: Uint8Array;
  /** The live call's trace context when the proxy made its own span (else the client's traceparent header is used). */
  readonly traceparent?: string;
}

export interface TargetCall extends CallSummary {
  readonly target: string;
  /** The span id this target's copy carried in its traceparent (a child of the live call). */
  readonly spanId?: string;
}

/** What the thread sends back for one copy: counts, the comparison, the dataset line; never a body. */
export interface CopyResult {
  readonly id: number;
  /** threadId of the thread that ran the policy (the proof that policy code stays off the live thread). */
  readonly threadId: number;
  /** Set when the copy was not sent (anonymization failed closed, or no policy). */
  readonly drop?: DropReason;
  /** Values the policy replaced, by entity. */
  readonly replacements: readonly (readonly [string, number])[];
  /** One per target called, in role order (incumbent, candidate, baseline). */
  readonly calls: readonly TargetCall[];
  /** The comparison (when the route compares and the copy was sent). */
  readonly diff?: ExchangeDiff;
  /** The serialized dataset record, newline included (when the route records). */
  readonly line?: string;
  /** Why the dataset line was not made although the route records. */
  readonly recordDrop?: 'leak';
  /** compare.slices: the copy's value of each slice path (top-k and `(other)` are decided on the live thread). */
  readonly slices?: readonly string[];
  /** A failure after the calls (comparison or serialization threw): reported, the copy's counts kept. */
  readonly error?: string;
  /** Streamed answers (SSE, NDJSON): token timing and agreement for the route's stream book. */
  readonly streams?: StreamObservation;
  /** The copy's data-quality features (routes[].quality): kept fields by value, replaced fields by shape. */
  readonly quality?: QualityObservation;
  /** The live call's context the copies were children of (for their spans). */
  readonly trace?: { readonly traceId: string; readonly spanId: string; readonly flags: string };
}

export type ToThread =
  | { readonly t: 'config'; readonly generation: number; readonly config: Config; readonly threads: number }
  | { readonly t: 'copies'; readonly batch: readonly CopyMessage[] }
  | { readonly t: 'close' }
  /** Idle after a burst (observe/idle-gc.ts): run one full GC if no copy is in progress here. */
  | { readonly t: 'gc' }
  /** Test seam: block the thread's event loop until flag[0] becomes non-zero (or 30 s pass). */
  | { readonly t: 'hold'; readonly flag: Int32Array }
  /** Test seam: throw from the thread's event loop, as a bug in a policy would. */
  | { readonly t: 'crash' };

export type FromThread =
  | { readonly t: 'ready'; readonly generation: number; readonly threadId: number }
  | { readonly t: 'config-failed'; readonly generation: number; readonly message: string }
  | { readonly t: 'results'; readonly batch: readonly CopyResult[] }
  | { readonly t: 'closed' }
  /** The answer to 'gc': what the GC freed, or no `run` when the thread was busy or has no exposed gc. */
  | { readonly t: 'gc'; readonly run?: IdleGcRun };

/** Int32 slots of the counters a thread shares with the live thread (read with Atomics, no message). */
export const STARTED_COPIES = 0;
export const STARTED_BYTES = 1;
export const COUNTER_SLOTS = 2;
