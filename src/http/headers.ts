// Proxy header rules of RFC 9110 §7.6: hop-by-hop fields and the fields named in Connection are not
// forwarded, in either direction; the proxy then adds its own (X-Forwarded-*, Via, x-request-id),
// which no Connection field can remove.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { requestIdOf as requestIdFrom } from '../kernel/request-id.js';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authenticate', 'proxy-authorization',
]);

export const VIA = '1.1 shadowgate';

/** Fields a client library sets itself for a copy sent elsewhere: a carried-over value would contradict it. */
const SET_BY_CLIENT = new Set([...HOP_BY_HOP, 'host', 'content-length', 'expect']);

/**
 * Headers of a copy of a request sent to another origin (a raw shadow copy, a replayed record): lower-case
 * names, one string each, without hop-by-hop fields and what the HTTP client sets itself.
 */
export function copyHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const v = headers[name];
    const lower = name.toLowerCase();
    if (v !== undefined && !SET_BY_CLIENT.has(lower)) out[lower] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function connectionNamed(headers: IncomingHttpHeaders): Set<string> | undefined {
  const c = headers.connection;
  // The usual values name only hop-by-hop fields already dropped: no set to build.
  if (c === undefined || c === 'keep-alive' || c === 'close' || c === 'Keep-Alive' || c === 'Close') return undefined;
  const named = new Set<string>();
  for (const token of (Array.isArray(c) ? c.join(',') : c).split(',')) {
    const t = token.trim().toLowerCase();
    if (t) named.add(t);
  }
  return named;
}

function forwardable(name: string, named: Set<string> | undefined): boolean {
  return !HOP_BY_HOP.has(name) && !(named?.has(name) ?? false);
}

function append(existing: string | string[] | undefined, value: string): string {
  if (existing === undefined || existing === '') return value;
  return `${Array.isArray(existing) ? existing.join(', ') : existing}, ${value}`;
}

export interface ForwardInfo {
  readonly remoteAddress: string | undefined;
  readonly proto: 'http' | 'https';
  readonly requestId: string;
}

/**
 * Headers for the upstream request. Host and Content-Length are left to the client library (the body
 * was re-buffered, so the length is known exactly); the original Host travels in X-Forwarded-Host.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, info: ForwardInfo): Record<string, string | string[]> {
  const named = connectionNamed(headers);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const v = headers[name];
    // HTTP/2 pseudo-headers (:method, :path, :authority, :scheme) are not fields to forward.
    if (v === undefined || name.charCodeAt(0) === 58 || name === 'host' || name === 'content-length' || name === 'expect' || !forwardable(name, named)) continue;
    out[name] = v;
  }
  out['x-forwarded-for'] = append(headers['x-forwarded-for'], info.remoteAddress ?? 'unknown');
  out['x-forwarded-proto'] = append(headers['x-forwarded-proto'], info.proto);
  const host = headers.host ?? (headers[':authority'] as string | undefined);
  if (host !== undefined) out['x-forwarded-host'] = append(headers['x-forwarded-host'], host);
  out.via = append(headers.via, VIA);
  out['x-request-id'] = info.requestId;
  return out;
}

/** Headers for the client's response. */
export function clientResponseHeaders(headers: IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  const named = connectionNamed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || !forwardable(name, named)) continue;
    out[name] = v;
  }
  out.via = append(headers.via, VIA);
  out['x-request-id'] = requestId;
  return out;
}

/** The client's x-request-id when it is a plain token; otherwise a fresh one (the one rule: kernel/request-id.ts). */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  return requestIdFrom(headers['x-request-id']);
}
