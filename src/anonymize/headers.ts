// Headers: a keep-list (everything else is dropped); credentials are pseudonymized even when kept, and
// framing headers never pass (the sender recomputes content-length).
import type { IncomingHttpHeaders } from 'node:http';
import { classifyKey } from './detectors/key-names.js';
import type { Run } from './run.js';

const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection', 'x-shadowgate-policy']);
const CREDENTIALS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-csrf-token', 'x-amz-security-token']);

function credential(run: Run, name: string, value: string): string {
  // The `credential` entity's transform (pseudonym `cred_…`), memoized: a client's token repeats per request.
  const token = (v: string) => String(run.replaceEntity('credential', v));
  if (name === 'authorization' || name === 'proxy-authorization') {
    const sp = value.indexOf(' ');
    // Keep the scheme (Bearer, Basic): it is shape, not secret.
    return sp > 0 ? `${value.slice(0, sp)} ${token(value.slice(sp + 1).trim())}` : token(value);
  }
  if (name === 'cookie' || name === 'set-cookie') {
    return value.split(';').map((c) => {
      const eq = c.indexOf('=');
      return eq < 0 ? c : `${c.slice(0, eq)}=${token(c.slice(eq + 1).trim())}`;
    }).join(';');
  }
  return token(value);
}

export function anonymizeHeaders(run: Run, keep: ReadonlySet<string>, headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase();
    if (FRAMING.has(name) || !keep.has(name)) continue;
    const value = Array.isArray(rawValue) ? rawValue.join(', ') : rawValue;
    const entity = classifyKey(name);
    if (CREDENTIALS.has(name) || entity === 'credential') out[name] = credential(run, name, value);
    else if (entity !== undefined && entity !== 'ip' && value !== '') out[name] = String(run.replaceByKey(entity, value));
    else out[name] = run.scanReplace(value);
  }
  return out;
}
