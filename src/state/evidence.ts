// The fleet's evidence: every process's latest snapshot, kept while fresh, merged for the judge.
import { LiveWindow, type LiveWindowSnapshot, type WindowSnapshot } from '../routing/live-stats.js';
import type { FleetEvidence } from '../routing/runtime.js';
import type { Contributor, EvidenceSnapshot, FleetView, StateBackend } from './backend.js';

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

  evidence(route: string, nowMs: number, z?: number): FleetEvidence | undefined {
    return mergeRoute(this.fresh(nowMs), route, nowMs, z);
  }
}

export function mergeRoute(snaps: readonly EvidenceSnapshot[], route: string, nowMs: number, z?: number): FleetEvidence | undefined {
  const inc: LiveWindowSnapshot[] = [];
  const cand: LiveWindowSnapshot[] = [];
  for (const s of snaps) {
    const r = s.routes[route];
    if (r?.incumbent !== undefined) inc.push(r.incumbent);
    if (r?.candidate !== undefined) cand.push(r.candidate);
  }
  if (inc.length === 0 && cand.length === 0) return undefined;
  return { incumbent: mergeWindows(inc, nowMs, z), candidate: mergeWindows(cand, nowMs, z) };
}

/** The sum of several processes' windows, as the guardrails read one (a malformed part is skipped). */
function mergeWindows(parts: readonly LiveWindowSnapshot[], nowMs: number, z: number | undefined): WindowSnapshot {
  const slotMs = parts[0]?.slotMs ?? 1000;
  const w = new LiveWindow(slotMs);
  try {
    for (const p of parts) {
      try {
        w.merge(p);
      } catch {
        // Another slot length (a replica on another config) or a damaged histogram: not this window's.
      }
    }
    return z === undefined ? w.snapshot(nowMs) : w.snapshot(nowMs, z);
  } finally {
    w.destroy();
  }
}

export function contributorsOf(snaps: readonly EvidenceSnapshot[], nowMs: number): Contributor[] {
  return snaps.map((s) => ({ replica: s.replica, at: s.at, ageMs: Math.max(0, nowMs - s.at) }))
    .sort((a, b) => a.replica.localeCompare(b.replica));
}

/** GET /admin/fleet: who this process is in its fleet, whether it judges, and whose evidence it sees. */
export function fleetViewOf(backend: StateBackend, nowMs: number): FleetView {
  return {
    backend: backend.kind === 'primary' ? backend.shared ?? 'file' : backend.kind, replica: backend.replica, up: backend.up(), judge: backend.isJudge(),
    contributors: contributorsOf(backend.snapshots(nowMs), nowMs), pending: backend.pendingChanges?.() ?? [],
  };
}
