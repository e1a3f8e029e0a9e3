// gRPC on the copy pipeline (shadow threads and replay): the protocol codec. The anonymizer sees a copy's message as JSON (decoded with the operator's
// .proto files), so policy field rules address the message's fields by JSON paths; the copy stays JSON
// (samples, dataset, per-target rewrite) and becomes protobuf again only on the wire to each target,
// whose answer is decoded back to JSON for the same comparison engine.
import http2 from 'node:http2';
import type { AnonymizedRequest, RawRequest, ShadowResponse, ShadowRole } from '../exchange.js';
import type { SendOptions } from './dispatch.js';
import type { GrpcChannels } from '../grpc/channels.js';
import { decodeBody, encodeBody, type GrpcMethod } from '../grpc/proto.js';
import { formatGrpcTimeout, httpStatusOfGrpc, readGrpcStatus } from '../grpc/status.js';

const EMPTY = Buffer.alloc(0);

export type DecodedRequest = { ok: true; request: RawRequest } | { ok: false; reason: 'unsupported' | 'error'; detail: string };

/**
 * A live gRPC request as the policy sees it: the message decoded to JSON (content type application/json).
 * Fails closed on what it cannot decode: an unknown method, a client stream, a compressed or cut message.
 */
export function decodeGrpcRequest(req: RawRequest, methods: ReadonlyMap<string, GrpcMethod>, maxMessages: number): DecodedRequest {
  const path = req.url.split('?')[0]!;
  const method = methods.get(path);
  if (method === undefined) return { ok: false, reason: 'unsupported', detail: `no .proto method for ${path}` };
  if (method.clientStreaming) return { ok: false, reason: 'unsupported', detail: 'client-streaming calls are not mirrored' };
  const decoded = decodeBody(method.requestType, req.body, false, maxMessages);
  if (!decoded.ok) return decoded;
  return { ok: true, request: { method: 'POST', url: path, headers: { ...req.headers, 'content-type': 'application/json' }, body: decoded.json } };
}

/** Sends JSON copies to gRPC targets as protobuf over HTTP/2 and decodes their answers to JSON. */
export class GrpcShadowDispatcher {
  constructor(private readonly channels: GrpcChannels, private readonly methods: ReadonlyMap<string, GrpcMethod>, private readonly maxMessages: number, private readonly timeouts: ReadonlyMap<string, number>) {}

  send(target: string, role: ShadowRole, req: AnonymizedRequest, opts: SendOptions): Promise<ShadowResponse> {
    const started = performance.now();
    const failed = (error: NonNullable<ShadowResponse['error']>): ShadowResponse => ({ target, role, status: 0, headers: {}, body: EMPTY, latencyMs: performance.now() - started, error });
    const method = this.methods.get(req.url);
    const session = this.channels.session(target);
    if (method === undefined || session === undefined) return Promise.resolve(failed('error'));
    let wire: Buffer;
    try {
      wire = encodeBody(method.requestType, req.body, false);
    } catch {
      return Promise.resolve(failed('error'));
    }
    const timeoutMs = opts.timeoutMs ?? this.timeouts.get(target) ?? 2000;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: ShadowResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const headers: http2.OutgoingHttpHeaders = { ...req.headers, ':method': 'POST', ':path': req.url, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': formatGrpcTimeout(timeoutMs) };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(headers);
      } catch {
        settle(failed('refused'));
        return;
      }
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        settle(failed('timeout'));
      }, timeoutMs);
      const chunks: Buffer[] = [];
      let size = 0;
      let grpcStatus: number | undefined;
      let grpcMessage: string | undefined;
      stream.on('response', (h) => {
        grpcStatus = readGrpcStatus(h['grpc-status']);
        grpcMessage = typeof h['grpc-message'] === 'string' ? h['grpc-message'] : undefined;
      });
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxResponseBytes) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          settle(failed('too_large'));
        } else {
          chunks.push(c);
        }
      });
      stream.on('trailers', (t) => {
        grpcStatus = readGrpcStatus(t['grpc-status']) ?? grpcStatus;
        grpcMessage = typeof t['grpc-message'] === 'string' ? t['grpc-message'] : grpcMessage;
      });
      stream.on('error', () => settle(failed('reset')));
      stream.on('end', () => {
        const latencyMs = performance.now() - started;
        if (grpcStatus === undefined) {
          settle(failed('error'));
          return;
        }
        const status = httpStatusOfGrpc(grpcStatus);
        const headersOut = { 'content-type': 'application/json', 'grpc-status': String(grpcStatus) };
        if (grpcStatus !== 0) {
          // A gRPC error is an answer: its status (mapped to HTTP) and code are what the engine compares.
          const body = Buffer.from(JSON.stringify({ 'grpc-status': grpcStatus, 'grpc-message': grpcMessage ?? '' }));
          settle({ target, role, status, headers: headersOut, body, latencyMs });
          return;
        }
        const decoded = decodeBody(method.responseType, Buffer.concat(chunks, size), method.serverStreaming, this.maxMessages);
        settle(decoded.ok
          ? { target, role, status, headers: headersOut, body: decoded.json, latencyMs }
          : { target, role, status: 0, headers: {}, body: EMPTY, latencyMs, error: 'error' });
      });
      stream.end(wire);
    });
  }

  async close(): Promise<void> {
    this.channels.close();
  }
}
