// Config schema of TLS: the listener's certificate (`server.tls`) and an upstream's trust and client
// certificate (`upstreams.NAME.tls`). PEM files are read while the config is validated, so check-config
// names a missing or mismatched file by its path, and every reload (SIGHUP) reads them afresh.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';

/** A PEM file: its path (for messages) and its text. */
export interface PemFile {
  readonly path: string;
  readonly pem: string;
}

const pemFile = z.string().min(1).transform((path, ctx): PemFile => {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    return z.NEVER;
  }
  if (!pem.includes('-----BEGIN ')) {
    ctx.addIssue({ code: 'custom', message: `${path} is not a PEM file` });
    return z.NEVER;
  }
  return { path, pem };
});

/** Whether cert and key load together (a key that does not belong to the certificate is refused here). */
function checkPair(v: { cert?: PemFile | undefined; key?: PemFile | undefined; ca?: PemFile | undefined }, ctx: z.RefinementCtx): void {
  if ((v.cert === undefined) !== (v.key === undefined)) {
    ctx.addIssue({ code: 'custom', path: [v.cert === undefined ? 'cert' : 'key'], message: 'cert and key go together' });
    return;
  }
  try {
    createSecureContext({ ...(v.cert ? { cert: v.cert.pem, key: v.key!.pem } : {}), ...(v.ca ? { ca: v.ca.pem } : {}) });
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: [v.cert ? 'key' : 'ca'], message: `TLS material does not load: ${(err as Error).message}` });
  }
}

export const tlsVersion = z.enum(['TLSv1.2', 'TLSv1.3']);

/** The listener's certificate; clients may be asked for theirs (mTLS) when `clientCa` is set. */
export const listenerTlsSchema = z.object({
  cert: pemFile,
  key: pemFile,
  /** TLS 1.2 at least; 1.0 and 1.1 are never offered. */
  minVersion: tlsVersion.default('TLSv1.2'),
  /** Require client certificates signed by this CA. */
  clientCa: pemFile.optional(),
}).strict().superRefine((v, ctx) => checkPair({ cert: v.cert, key: v.key, ca: v.clientCa }, ctx));
export type ListenerTlsConfig = z.infer<typeof listenerTlsSchema>;

/** How shadowgate connects to an https:// upstream: whom to trust and which client certificate to show. */
export const upstreamTlsSchema = z.object({
  /** Trusted CAs for this upstream (instead of the system's). */
  ca: pemFile.optional(),
  /** A client certificate and key (mTLS). */
  cert: pemFile.optional(),
  key: pemFile.optional(),
  /** The name checked against the upstream's certificate, when it differs from the URL's host. */
  servername: z.string().min(1).optional(),
  minVersion: tlsVersion.default('TLSv1.2'),
}).strict().superRefine(checkPair);
export type UpstreamTlsConfig = z.infer<typeof upstreamTlsSchema>;

