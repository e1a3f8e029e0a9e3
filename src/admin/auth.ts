// Bearer-token authentication for the admin API: tokens are configured as sha256 hex, compared in
// constant time against every configured hash; failed attempts are limited per source address.
import { createHash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AdminConfig } from '../config/schema.js';
import { errors, ShadowgateError } from '../errors.js';

export type Role = 'viewer' | 'operator' | 'admin';
const RANK: Readonly<Record<Role, number>> = { viewer: 1, operator: 2, admin: 3 };

export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export interface Principal {
  readonly token: string;
  readonly role: Role;
}

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly error: ShadowgateError; readonly retryAfter?: number };

/** Source addresses tracked for failures: bounded, least recently seen forgotten first. */
const MAX_TRACKED_SOURCES = 10_000;

/** The anonymous principal of a loopback-only admin API with no tokens configured (development). */
export const LOOPBACK_OPEN: Principal = Object.freeze({ token: 'anonymous', role: 'admin' });

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class Authenticator {
  private readonly hashes: readonly { name: string; role: Role; digest: Buffer }[];
  private readonly failures: LRUCache<string, { count: number; resetAt: number }>;

  constructor(private readonly cfg: Readonly<Pick<AdminConfig, 'tokens' | 'authFailures'>>) {
    this.hashes = cfg.tokens.map((t) => ({ name: t.name, role: t.role, digest: Buffer.from(t.sha256.toLowerCase(), 'hex') }));
    this.failures = new LRUCache({ max: MAX_TRACKED_SOURCES });
  }

  get open(): boolean {
    return this.hashes.length === 0;
  }

  authenticate(authorization: string | undefined, source: string, nowMs: number): AuthResult {
    if (this.open) return { ok: true, principal: LOOPBACK_OPEN };
    const seen = this.failures.get(source);
    if (seen !== undefined && nowMs >= seen.resetAt) this.failures.delete(source);
    else if (seen !== undefined && seen.count >= this.cfg.authFailures.max) {
      return {
        ok: false,
        error: new ShadowgateError('SG_ERR_AUTH_RATE_LIMITED', 'too many failed authentication attempts from this address', 429),
        retryAfter: Math.max(1, Math.ceil((seen.resetAt - nowMs) / 1000)),
      };
    }
    const principal = this.match(authorization);
    if (principal !== undefined) return { ok: true, principal };
    const entry = this.failures.get(source) ?? { count: 0, resetAt: nowMs + this.cfg.authFailures.window };
    entry.count++;
    this.failures.set(source, entry);
    return { ok: false, error: errors.unauthorized() };
  }

  private match(authorization: string | undefined): Principal | undefined {
    if (authorization === undefined) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (m === null) return undefined;
    const digest = createHash('sha256').update(m[1]!, 'utf8').digest();
    let found: Principal | undefined;
    // Every configured hash is compared, so timing says nothing about which one (if any) matched.
    for (const h of this.hashes) {
      if (timingSafeEqual(h.digest, digest) && found === undefined) found = { token: h.name, role: h.role };
    }
    return found;
  }
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || h.startsWith('127.') || h.startsWith('::ffff:127.');
}
