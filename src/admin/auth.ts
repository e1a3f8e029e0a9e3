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
  /** May approve experiments (admin.tokens[].approver). */
  readonly approver?: boolean;
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
  private readonly hashes: readonly { name: string; role: Role; approver: boolean; digest: Buffer }[];
  private readonly failures: LRUCache<string, { count: number; resetAt: number; nextAt: number }>;

  constructor(private readonly cfg: Readonly<Pick<AdminConfig, 'tokens' | 'authFailures'>>) {
    this.hashes = cfg.tokens.map((t) => ({ name: t.name, role: t.role, approver: t.approver, digest: Buffer.from(t.sha256.toLowerCase(), 'hex') }));
    this.failures = new LRUCache({ max: MAX_TRACKED_SOURCES });
  }

  get open(): boolean {
    return this.hashes.length === 0;
  }

  /**
   * When a request from `source` may have its token checked. Below `authFailures.max` failures in the
   * window, at once; past it, one check per window/max from that source, queued in turn: guessing stays
   * at max per window, while a correct token is still accepted when its turn comes (it is never locked
   * out). A turn further away than the window is refused at once (429, Retry-After).
   */
  admit(source: string, nowMs: number): { readonly waitMs: number } | { readonly error: ShadowgateError; readonly retryAfter: number } {
    if (this.open) return { waitMs: 0 };
    const seen = this.failures.get(source);
    if (seen !== undefined && nowMs >= seen.resetAt && seen.nextAt <= nowMs) {
      this.failures.delete(source);
      return { waitMs: 0 };
    }
    if (seen === undefined || seen.count < this.cfg.authFailures.max) return { waitMs: 0 };
    const spacing = this.cfg.authFailures.window / this.cfg.authFailures.max;
    const turn = Math.max(nowMs, seen.nextAt);
    if (turn - nowMs > this.cfg.authFailures.window) {
      return {
        error: new ShadowgateError('SG_ERR_AUTH_RATE_LIMITED', 'too many failed authentication attempts from this address', 429),
        retryAfter: Math.max(1, Math.ceil((turn - nowMs) / 1000)),
      };
    }
    seen.nextAt = turn + spacing;
    return { waitMs: turn - nowMs };
  }

  /** Checks the bearer token; a failure counts against the source, a success clears its record. */
  authenticate(authorization: string | undefined, source: string, nowMs: number): AuthResult {
    if (this.open) return { ok: true, principal: LOOPBACK_OPEN };
    const principal = this.match(authorization);
    if (principal !== undefined) {
      this.failures.delete(source);
      return { ok: true, principal };
    }
    let entry = this.failures.get(source);
    if (entry === undefined || (nowMs >= entry.resetAt && entry.nextAt <= nowMs)) entry = { count: 0, resetAt: nowMs + this.cfg.authFailures.window, nextAt: 0 };
    entry.count++;
    // Every failure keeps the source's record for a window, so pacing lasts while guessing goes on.
    entry.resetAt = nowMs + this.cfg.authFailures.window;
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
      if (timingSafeEqual(h.digest, digest) && found === undefined) found = { token: h.name, role: h.role, approver: h.approver };
    }
    return found;
  }
}

/**
 * Whether a request to an admin API with no tokens could come from a page in a browser: its Host must
 * name loopback or the configured admin host (DNS rebinding sends the attacker's name), and an Origin,
 * when present, must be one of those too (a cross-site form or fetch).
 */
export function browserSafe(host: string | undefined, origin: string | undefined, adminHost: string): boolean {
  const allowed = (name: string) => isLoopbackHost(name) || name === adminHost.toLowerCase();
  if (host === undefined || !allowed(hostnameOf(host))) return false;
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // includes `Origin: null` (sandboxed frames, file: pages)
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && allowed(parsed.hostname.toLowerCase());
}

/** `127.0.0.1:9090` → `127.0.0.1`, `[::1]:9090` → `[::1]`, lower-cased. */
function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || h.startsWith('127.') || h.startsWith('::ffff:127.');
}
