// The fleet's evidence: every process's latest snapshot, kept while fresh, merged for the judge.
import { mergeWindows } from '../routing/live-stats.js';
import type { FleetEvidence } from '../routing/runtime.js';
import type { Contributor, EvidenceSnapshot } from './backend.js';

/** Snapshots older than this many evidence intervals are a process that is gone (or cut off). */
export const STALE_INTERVALS = 3;

export class EvidenceBoard {
  private readonly latest = new Map<string, EvidenceSnapshot>();

  constructor(private readonly staleMs: number) {}

  put(snap: EvidenceSnapshot): void {
    const prev = this.latest.get(snap.replica);
    if (prev === undefined || prev.at <= snap.at) this.latest.set(snap.replica, snap);
  }

  remove(replica: string): void {
    this.latest.delete(replica);
  }

  /** Fresh snapshots (stale ones are dropped here). */
  fresh(nowMs: number): EvidenceSnapshot[] {
    const out: EvidenceSnapshot[] = [];
    for (const [id, s] of this.latest) {
      if (nowMs - s.at > this.staleMs) this.latest.delete(id);
      else out.push(s);
    }
    return out;
  }

  evidence(route: string, nowMs: number): FleetEvidence | undefined {
    return mergeRoute(this.fresh(nowMs), route);
  }
}

export function mergeRoute(snaps: readonly EvidenceSnapshot[], route: string): FleetEvidence | undefined {
  const parts = snaps.flatMap((s) => (s.routes[route] === undefined ? [] : [s.routes[route]]));
  if (parts.length === 0) return undefined;
  return { incumbent: mergeWindows(parts.map((p) => p.incumbent)), candidate: mergeWindows(parts.map((p) => p.candidate)) };
}

export function contributorsOf(snaps: readonly EvidenceSnapshot[], nowMs: number): Contributor[] {
  return snaps.map((s) => ({ replica: s.replica, at: s.at, ageMs: Math.max(0, nowMs - s.at) }))
    .sort((a, b) => a.replica.localeCompare(b.replica));
}
