// What an undici Pool needs to reach one upstream beyond its URL: TLS trust and client certificate
// (mTLS), and HTTP/2 by ALPN. Shared by the live pools (app/app.ts) and the shadow pools (pipeline/dispatch.ts).
import type { Pool } from 'undici';
import type { UpstreamConfig } from '../config/schema.js';
import { upstreamConnectOptions } from '../config/schema/tls.js';

export function upstreamPoolOptions(u: Readonly<UpstreamConfig>): Pick<Pool.Options, 'connect' | 'allowH2'> {
  const connect = upstreamConnectOptions(u.tls);
  return { ...(connect ? { connect } : {}), ...(u.http2 ? { allowH2: true } : {}) };
}
