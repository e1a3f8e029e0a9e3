// Per-route live canary decision, on the hot path: override header (optionally from trusted sources
// only), then the sticky key hashed with the route's salt into 10,000 buckets, else a random draw.
// Decisions are preallocated frozen objects, so deciding allocates nothing beyond header parsing.
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { CanaryConfig } from '../config/schema.js';
import { isAddressOrCidr } from '../config/schema/canary.js';
import { ShadowgateError } from '../errors.js';
import { keyedHash } from '../kernel/hash.js';
import { BoundedMap } from '../kernel/bounded-map.js';

export type CanaryTarget = 'incumbent' | 'candidate';
export type CanaryReason = 'override' | 'sticky' | 'random' | 'off';

export interface CanaryDecision {
  readonly target: CanaryTarget;
  readonly reason: CanaryReason;
  /** Position in ALL_DECISIONS: lets callers count decisions in a plain array. */
  readonly slot: number;
}

const decision = (target: CanaryTarget, reason: CanaryReason, slot: number): CanaryDecision => Object.freeze({ target, reason, slot });

/** Every decision there is: callers may compare them by identity. */
export const DECISIONS = Object.freeze({
  overrideCandidate: decision('candidate', 'override', 0),
  overrideIncumbent: decision('incumbent', 'override', 1),
  stickyCandidate: decision('candidate', 'sticky', 2),
  stickyIncumbent: decision('incumbent', 'sticky', 3),
  randomCandidate: decision('candidate', 'random', 4),
  randomIncumbent: decision('incumbent', 'random', 5),
  off: decision('incumbent', 'off', 6),
});
export const ALL_DECISIONS: readonly CanaryDecision[] = Object.values(DECISIONS);

/** 10,000 buckets: a weight has 0.01-percentage-point resolution. */
export const BUCKETS = 10_000;

/** Weight in percent → number of candidate buckets. */
export function weightToBuckets(weightPercent: number): number {
  if (!(weightPercent > 0)) return 0;
  if (weightPercent >= 100) return BUCKETS;
  return Math.round(weightPercent * (BUCKETS / 100));
}

/** The kernel's keyed hash (FNV-1a, fmix32) of salt and key: a user's bucket never moves between versions. */
export function stickyBucket(salt: string, key: string): number {
  return keyedHash(salt, key) % BUCKETS;
}

type KeyReader = (headers: IncomingHttpHeaders) => string | undefined;

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Builds the reader of `header:NAME` / `cookie:NAME`; `none` reads nothing. */
export function stickyKeyReader(spec: string): KeyReader | undefined {
  if (spec.startsWith('header:')) {
    const name = spec.slice(7).toLowerCase();
    return (h) => {
      const v = headerValue(h[name]);
      return v === undefined || v === '' ? undefined : v;
    };
  }
  if (spec.startsWith('cookie:')) {
    const name = spec.slice(7);
    return (h) => cookieValue(h.cookie, name);
  }
  return undefined;
}

/** One cookie's value, scanning in place (no split of the whole header). */
export function cookieValue(cookie: string | undefined, name: string): string | undefined {
  if (cookie === undefined) return undefined;
  let start = 0;
  while (start < cookie.length) {
    let end = cookie.indexOf(';', start);
    if (end === -1) end = cookie.length;
    while (start < end && cookie.charCodeAt(start) === 32) start++;
    if (cookie.startsWith(name, start) && cookie.charCodeAt(start + name.length) === 61 /* = */) {
      const v = cookie.slice(start + name.length + 1, end).trim();
      return v === '' ? undefined : v;
    }
    start = end + 1;
  }
  return undefined;
}

const TRUSTED_CACHE_MAX = 4096;

/** Trusted override sources: addresses or CIDRs, IPv4 and IPv6; IPv4-mapped IPv6 matches IPv4 rules. */
export function compileSources(sources: readonly string[]): ((address: string | undefined) => boolean) | undefined {
  if (sources.length === 0) return undefined;
  const list = new BlockList();
  for (const s of sources) {
    if (!isAddressOrCidr(s)) throw new ShadowgateError('SG_ERR_CONFIG', `canary.override.trustedSources: "${s}" is not an address or CIDR`);
    const [addr, bits] = s.split('/') as [string, string | undefined];
    const family = isIP(addr);
    list.addSubnet(addr, bits === undefined ? (family === 4 ? 32 : 128) : Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  }
  // BlockList.check costs microseconds; testers come from few addresses, so answers are remembered
  // (bounded, two generations: no recency tracking on the hot path).
  const cache = new BoundedMap<string, boolean>(TRUSTED_CACHE_MAX);
  return (address) => {
    if (address === undefined) return false;
    let ok = cache.get(address);
    if (ok === undefined) {
      ok = address.startsWith('::ffff:') && address.includes('.')
        ? list.check(address.slice(7), 'ipv4')
        : isIP(address) !== 0 && list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
      cache.set(address, ok);
    }
    return ok;
  };
}

/** The canary split of one route; the weight is set by the routing runtime. */
export class CanarySplit {
  private threshold = 0;
  private candidateBlocked = false;
  private readonly overrideHeader: string | undefined;
  private readonly trusted: ((address: string | undefined) => boolean) | undefined;
  private readonly readKey: KeyReader | undefined;
  private readonly salt: string;

  constructor(route: string, cfg: Readonly<CanaryConfig>, private readonly random: () => number = Math.random) {
    this.salt = cfg.salt ?? route;
    this.overrideHeader = cfg.override?.header.toLowerCase();
    this.trusted = compileSources(cfg.override?.trustedSources ?? []);
    this.readKey = stickyKeyReader(cfg.stickyBy);
    this.setWeight(cfg.weight);
  }

  /** Percent of live traffic for the candidate (0..100, 0.01 resolution). */
  setWeight(weightPercent: number): void {
    this.threshold = weightToBuckets(weightPercent);
  }

  /**
   * After a rollback the candidate is known bad: even testers' override header no longer reaches it,
   * so "no live request reaches it afterwards" holds without exception.
   */
  blockCandidate(blocked: boolean): void {
    this.candidateBlocked = blocked;
  }

  decide(headers: IncomingHttpHeaders, remoteAddress: string | undefined): CanaryDecision {
    if (this.overrideHeader !== undefined) {
      const v = headerValue(headers[this.overrideHeader]);
      if (v !== undefined && (this.trusted === undefined || this.trusted(remoteAddress))) {
        if (v === 'candidate') return this.candidateBlocked ? DECISIONS.off : DECISIONS.overrideCandidate;
        if (v === 'incumbent') return DECISIONS.overrideIncumbent;
      }
    }
    const threshold = this.threshold;
    if (threshold === 0 || this.candidateBlocked) return DECISIONS.off;
    const key = this.readKey?.(headers);
    if (key !== undefined) {
      return stickyBucket(this.salt, key) < threshold ? DECISIONS.stickyCandidate : DECISIONS.stickyIncumbent;
    }
    return Math.floor(this.random() * BUCKETS) < threshold ? DECISIONS.randomCandidate : DECISIONS.randomIncumbent;
  }
}
