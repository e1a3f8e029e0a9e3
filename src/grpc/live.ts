// The live leg of a gRPC call: the client's request (already read, bounded) goes to the upstream over an
// HTTP/2 stream, and the answer comes back as it arrives — headers, each message under backpressure, and
// the trailers (grpc-status, grpc-message) intact. The deadline is the client's grpc-timeout or the
// upstream's timeout, whichever is sooner; past it the client gets DEADLINE_EXCEEDED.
import http2 from 'node:http2';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { upstreamRequestHeaders } from '../http/headers.js';
import { formatGrpcTimeout, parseGrpcTimeout, readGrpcStatus } from './status.js';

export interface GrpcCallOutcome {
  /** HTTP status sent to the client (200 for every gRPC answer, 499 when the client went away). */
  readonly status: number;
  /** grpc-status the client saw; undefined when the call was cut. */
  readonly grpcStatus: number | undefined;
}

const { NGHTTP2_CANCEL } = http2.constants;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/** Fields of a Trailers-Only answer that are re-sent as trailers (see the 'response' handler). */
const STATUS_FIELDS = new Set(['grpc-status', 'grpc-message', 'grpc-status-details-bin']);

function responseHeaders(h: http2.IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && k.charCodeAt(0) !== 58 && !STATUS_FIELDS.has(k)) out[k] = v;
  out['x-request-id'] = requestId;
  return out;
}

function trailerFields(h: http2.IncomingHttpHeaders, only?: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined && k.charCodeAt(0) !== 58 && (only === undefined || only.has(k))) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * A gRPC answer with no messages, as headers then trailers. (The compat response cannot end a stream on
 * its headers, and gRPC clients refuse a status in headers that do not end the stream.)
 */
function trailersOnly(res: ServerResponse, code: number, message: string, requestId: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/grpc', 'x-request-id': requestId });
  res.addTrailers({ 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) });
  res.end();
}

export function forwardGrpc(
  session: http2.ClientHttp2Session | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  opts: { readonly requestId: string; readonly timeoutMs: number; readonly proto: 'http' | 'https'; readonly traceparent?: string },
  done: (o: GrpcCallOutcome) => void,
): void {
  let finished = false;
  const finish = (o: GrpcCallOutcome) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(o);
  };
  if (session === undefined) {
    trailersOnly(res, UNAVAILABLE, 'upstream unavailable', opts.requestId);
    finish({ status: 200, grpcStatus: UNAVAILABLE });
    return;
  }
  const clientDeadline = parseGrpcTimeout(req.headers['grpc-timeout']);
  const deadline = clientDeadline === undefined ? opts.timeoutMs : Math.min(clientDeadline, opts.timeoutMs);
  const headers: http2.OutgoingHttpHeaders = {
    ...upstreamRequestHeaders(req.headers, { remoteAddress: req.socket?.remoteAddress, proto: opts.proto, requestId: opts.requestId }),
    ':method': 'POST',
    ':path': req.url ?? '/',
    te: 'trailers',
    'grpc-timeout': formatGrpcTimeout(deadline),
  };
  if (opts.traceparent !== undefined) headers.traceparent = opts.traceparent;
  let stream: http2.ClientHttp2Stream;
  try {
    stream = session.request(headers, { endStream: false });
  } catch {
    trailersOnly(res, UNAVAILABLE, 'upstream unavailable', opts.requestId);
    finish({ status: 200, grpcStatus: UNAVAILABLE });
    return;
  }
  let grpcStatus: number | undefined;
  const timer = setTimeout(() => {
    stream.close(NGHTTP2_CANCEL);
    if (res.headersSent) {
      res.addTrailers({ 'grpc-status': String(DEADLINE_EXCEEDED), 'grpc-message': 'deadline exceeded' });
      res.end();
    } else {
      trailersOnly(res, DEADLINE_EXCEEDED, 'deadline exceeded', opts.requestId);
    }
    finish({ status: 200, grpcStatus: DEADLINE_EXCEEDED });
  }, deadline);

  stream.on('response', (h) => {
    if (finished) return;
    grpcStatus = readGrpcStatus(h['grpc-status']);
    res.writeHead(Number(h[':status']) || 502, responseHeaders(h, opts.requestId));
    // Trailers-Only from the upstream: its status goes to the client as trailers.
    if (grpcStatus !== undefined) res.addTrailers(trailerFields(h, STATUS_FIELDS));
  });
  stream.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (!res.write(chunk)) {
      stream.pause();
      res.once('drain', () => stream.resume());
    }
  });
  stream.on('trailers', (t) => {
    if (finished) return;
    grpcStatus = readGrpcStatus(t['grpc-status']) ?? grpcStatus;
    res.addTrailers(trailerFields(t));
  });
  stream.on('end', () => {
    if (finished) return;
    res.end();
    finish({ status: 200, grpcStatus });
  });
  stream.on('error', () => {
    if (finished) return;
    // Before the answer began the client gets UNAVAILABLE; mid-answer the only honest signal is a reset.
    const began = res.headersSent;
    trailersOnly(res, UNAVAILABLE, 'upstream failed', opts.requestId);
    finish({ status: began ? 502 : 200, grpcStatus: began ? undefined : UNAVAILABLE });
  });
  res.once('close', () => {
    if (finished) return;
    stream.close(NGHTTP2_CANCEL);
    finish({ status: 499, grpcStatus: undefined });
  });
  stream.end(body);
}
