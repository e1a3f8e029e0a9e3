// What an undici Pool needs to reach one upstream beyond its URL: TLS trust and client certificate
// (mTLS), and HTTP/2 by ALPN. Shared by the live pools (app/app.ts) and the shadow pools (pipeline/dispatch.ts).
import type { Pool } from 'undici';
import type { UpstreamConfig } from '../config/schema.js';
import type { UpstreamTlsConfig } from '../config/schema/tls.js';

export function upstreamPoolOptions(u: Readonly<UpstreamConfig>): Pick<Pool.Options, 'connect' | 'allowH2'> {
  const connect = upstreamConnectOptions(u.tls);
  return { ...(connect ? { connect } : {}), ...(u.http2 ? { allowH2: true } : {}) };
}

/**
 * undici's (and node:http2's) `connect` options for an upstream, or undefined for plain defaults. Here, not
 * beside the schema: a shadow thread needs it and not zod (docs/memory.md).
 */
export function upstreamConnectOptions(tls: UpstreamTlsConfig | undefined): Record<string, string> | undefined {
  if (tls === undefined) return undefined;
  const out: Record<string, string> = { minVersion: tls.minVersion };
  if (tls.ca) out.ca = tls.ca.pem;
  if (tls.cert && tls.key) {
    out.cert = tls.cert.pem;
    out.key = tls.key.pem;
  }
  if (tls.servername) out.servername = tls.servername;
  return out;
}
