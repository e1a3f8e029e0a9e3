// HTTP/2 sessions under the connection model of HTTP/1.1 connections: a session counts as one connection
// (admitted, evicted when it has no stream in progress), is closed when it carries no stream for
// `timeouts.headers` (before its first request) or `timeouts.idle` (after one), and is sent GOAWAY
// ENHANCE_YOUR_CALM when its streams are cancelled faster than the reset budget allows (Rapid Reset,
// CVE-2023-44487). No timer per stream: one sweep over the open sessions, a tenth of the shorter timeout.
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { H2Limits } from '../config/schema.js';

const { NGHTTP2_NO_ERROR, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_REFUSED_STREAM } = http2.constants;

export type SessionCloseReason = 'headers' | 'idle' | 'resets';

const kState = Symbol('shadowgate.h2session');
type Tagged<T> = T & { [kState]?: H2Session };

/** One client session and what it holds. */
class H2Session {
  /** Streams in progress. */
  open = 0;
  /** A stream began: from then `idle` applies between streams instead of `headers`. */
  served = false;
  closing = false;
  /** When `open` last dropped to zero (or the session began), on the book's coarse clock. */
  since: number;
  private tokens: number;
  private refilled: number;

  constructor(readonly session: http2.ServerHttp2Session, readonly book: H2Sessions) {
    this.since = book.now;
    this.refilled = book.now;
    this.tokens = book.limits.resetBurst;
  }

  /** A stream ended by a reset (either side): spend a token; none left closes the session. */
  reset(): void {
    const now = this.book.now;
    const { resetBurst, resetsPerSecond } = this.book.limits;
    this.tokens = Math.min(resetBurst, this.tokens + ((now - this.refilled) * resetsPerSecond) / 1000);
    this.refilled = now;
    if (--this.tokens < 0) this.book.close(this, 'resets');
  }
}

function onStream(this: Tagged<http2.ServerHttp2Session>, stream: Tagged<http2.ServerHttp2Stream>): void {
  const state = this[kState];
  if (state === undefined) return;
  if (state.closing) {
    stream.close(NGHTTP2_REFUSED_STREAM); // the session is being sent away
    return;
  }
  state.open++;
  state.served = true;
  stream[kState] = state;
  stream.once('close', onStreamClose);
}

function onStreamClose(this: Tagged<http2.ServerHttp2Stream>): void {
  const state = this[kState]!;
  this[kState] = undefined;
  if (--state.open === 0) state.since = state.book.now;
  // Cancelled: closed before the proxy ended its answer, or by a reset (a peer's RST_STREAM does not
  // always leave its code on the stream). Streams cut because their session ended are not counted.
  const cancelled = !this.writableEnded || this.rstCode !== NGHTTP2_NO_ERROR;
  if (cancelled && !state.closing && !state.session.destroyed && !state.session.closed) state.reset();
}

function closeSession(session: http2.ServerHttp2Session, code: number): void {
  if (code === NGHTTP2_NO_ERROR) session.destroy();
  else session.destroy(new Error('HTTP/2 reset budget spent'), code);
}

export class H2Sessions {
  private readonly sessions = new Set<H2Session>();
  private sweep: NodeJS.Timeout | undefined;
  /** A clock read once per sweep and per new session (streams use it, they never read the time). */
  now = performance.now();

  constructor(
    readonly limits: H2Limits,
    private readonly timeouts: { readonly headers: number; readonly idle: number },
    private readonly onClosed: (reason: SessionCloseReason) => void,
  ) {}

  /** A session began on `transport` (the admitted connection). */
  add(session: Tagged<http2.ServerHttp2Session>, transport: Tagged<Duplex>): void {
    this.now = performance.now();
    const state = new H2Session(session, this);
    session[kState] = state;
    transport[kState] = state;
    this.sessions.add(state);
    session.on('stream', onStream);
    session.once('close', () => {
      this.sessions.delete(state);
      if (this.sessions.size === 0 && this.sweep !== undefined) {
        clearInterval(this.sweep);
        this.sweep = undefined;
      }
    });
    if (this.sweep === undefined) {
      const every = Math.max(10, Math.min(1000, Math.floor(Math.min(this.timeouts.headers, this.timeouts.idle) / 10)));
      this.sweep = setInterval(() => this.check(), every).unref();
    }
  }

  /** Whether the HTTP/2 session on this connection has a stream in progress (undefined: not HTTP/2). */
  static busy(transport: Tagged<Duplex>): boolean | undefined {
    const state = transport[kState];
    return state === undefined ? undefined : state.open > 0;
  }

  private check(): void {
    const now = (this.now = performance.now());
    for (const s of this.sessions) {
      if (s.open > 0 || s.closing) continue;
      const limit = s.served ? this.timeouts.idle : this.timeouts.headers;
      if (now - s.since >= limit) this.close(s, s.served ? 'idle' : 'headers');
    }
  }

  close(s: H2Session, reason: SessionCloseReason): void {
    if (s.closing) return;
    s.closing = true;
    this.onClosed(reason);
    // A final GOAWAY (ENHANCE_YOUR_CALM for resets, else no error), then the connection closes; streams
    // still open release what they hold through their answers' close.
    // Out of nghttp2's callbacks: streams of the frames still being parsed are made before it runs, and
    // destroying the session then closes each of them (a destroy from within a stream's close left
    // later streams of the same read open, their requests and route slots held).
    setImmediate(closeSession, s.session, reason === 'resets' ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_NO_ERROR);
  }
}
