// One HTTP/2 session per gRPC upstream (h2c with prior knowledge for http://, h2 over TLS for https://,
// with the upstream's CA and client certificate), opened on first use and again after it closes.
// undici cannot carry gRPC here: it speaks no h2c and does not hand trailers through dispatch.
import http2 from 'node:http2';
import type { UpstreamConfig } from '../config/schema.js';
import { upstreamConnectOptions } from '../http/upstream.js';

export class GrpcChannels {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();
  private closed = false;

  constructor(private readonly upstreams: Readonly<Record<string, UpstreamConfig>>) {}

  /** The live session to an upstream, or undefined when the upstream is unknown or the channels closed. */
  session(name: string): http2.ClientHttp2Session | undefined {
    const existing = this.sessions.get(name);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const u = this.upstreams[name];
    if (u === undefined || this.closed) return undefined;
    const session = http2.connect(u.url, { ...(upstreamConnectOptions(u.tls) ?? {}) });
    // Stream errors reach each call; a session error only ends the session (the next call reconnects).
    session.on('error', () => undefined);
    session.once('close', () => {
      if (this.sessions.get(name) === session) this.sessions.delete(name);
    });
    session.once('goaway', () => {
      if (this.sessions.get(name) === session) this.sessions.delete(name);
    });
    session.unref();
    this.sessions.set(name, session);
    return session;
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
  }
}
