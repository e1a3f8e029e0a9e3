// The fleet's comparison report: every contributing process's comparer snapshot merged into one
// comparer per route, reported once, with who contributed and how fresh each part is.
import type { Config, RouteConfig } from '../config/schema.js';
import { RouteComparer, parseComparerSnapshot, type ComparerSnapshot, type RouteReport } from '../compare/index.js';
import type { Contributor, EvidenceSnapshot } from './backend.js';
import { contributorsOf } from './evidence.js';
import { SliceBook, type SliceReport, type SliceSnapshot } from '../quality/slices.js';
import { combineQuality, type FleetQualityReport } from '../quality/fleet.js';
import type { QualityReport } from '../quality/route-quality.js';

export interface FleetReport extends RouteReport {
  /** How many processes' evidence this report merges, and how old each part is. */
  readonly fleet: { readonly replicas: number; readonly contributors: readonly Contributor[] };
  /** compare.slices: every contributor's slice table merged. */
  readonly slices?: SliceReport;
  /** routes[].quality: every contributor's quality section, closed when any contributor's gate is (docs/quality.md). */
  readonly quality?: FleetQualityReport;
}

type ProcessEvidence = { compare: ComparerSnapshot; slices?: SliceSnapshot; quality?: QualityReport };

/** The shadowed routes' comparers' snapshots of this process (with its slice tables and quality sections). */
export function comparerSnapshots(comparers: ReadonlyMap<string, { comparer: RouteComparer }>,
  slices?: { snapshot(route: string, comparer: RouteComparer): SliceSnapshot | undefined },
  quality?: (route: string) => QualityReport | undefined): Record<string, ProcessEvidence> {
  const out: Record<string, ProcessEvidence> = {};
  for (const [name, c] of comparers) {
    const s = slices?.snapshot(name, c.comparer);
    const q = quality?.(name);
    out[name] = { compare: c.comparer.snapshot(), ...(s === undefined ? {} : { slices: s }), ...(q === undefined ? {} : { quality: q }) };
  }
  return out;
}

function reportRoute(r: RouteConfig, snaps: readonly EvidenceSnapshot[], nowMs: number): FleetReport | undefined {
  if (r.shadow === undefined || !r.shadow.compare.enabled) return undefined;
  const merged = new RouteComparer(r.name, r.shadow.compare, { hasBaseline: r.shadow.baseline !== undefined });
  const parts: EvidenceSnapshot[] = [];
  const cfg = r.shadow.compare.slices;
  const slices = cfg === undefined ? undefined : new SliceBook(cfg);
  for (const s of snaps) {
    const c = s.routes[r.name]?.compare;
    if (c === undefined) continue;
    try {
      merged.merge(parseComparerSnapshot(c));
      parts.push(s);
    } catch {
      // A process on another compare config (mid-reload) or a damaged snapshot: left out, and not counted.
      continue;
    }
    const sl = s.routes[r.name]?.slices;
    if (slices !== undefined && sl !== undefined) slices.merge(sl);
  }
  const report = { ...merged.report(nowMs), fleet: { replicas: parts.length, contributors: contributorsOf(parts, nowMs) } };
  // routes[].quality: each contributor's own section, not merged (each learns its own reference).
  const quality = r.quality === undefined ? undefined
    : combineQuality(parts.flatMap((s) => { const q = s.routes[r.name]?.quality; return q === undefined ? [] : [{ replica: s.replica, quality: q }]; }));
  return { ...report, ...(slices === undefined ? {} : { slices: slices.report() }), ...(quality === undefined ? {} : { quality }) };
}

/** The report of every shadowed route, or of one (undefined when it is unknown or not compared). */
export function fleetReport(config: Config, snaps: readonly EvidenceSnapshot[], route: string | undefined, nowMs: number): FleetReport[] | FleetReport | undefined {
  if (route !== undefined) {
    const r = config.routes.find((x) => x.name === route);
    return r === undefined ? undefined : reportRoute(r, snaps, nowMs);
  }
  return config.routes.flatMap((r) => reportRoute(r, snaps, nowMs) ?? []);
}

/**
 * The comparison signals the judge's guardrails read (disagreement, verdict), from the fleet's merged
 * comparers. Rebuilt only when a contributor sent a newer snapshot.
 */
export class FleetSignals {
  private readonly cache = new Map<string, { key: string; comparer: RouteComparer }>();

  get(r: RouteConfig | undefined, snaps: readonly EvidenceSnapshot[], nowMs: number): ReturnType<RouteComparer['guardSignals']> | undefined {
    if (r?.shadow === undefined || !r.shadow.compare.enabled) return undefined;
    const key = snaps.map((s) => `${s.replica}@${s.at}`).join(',');
    let entry = this.cache.get(r.name);
    if (entry?.key !== key) {
      const comparer = new RouteComparer(r.name, r.shadow.compare, { hasBaseline: r.shadow.baseline !== undefined });
      for (const s of snaps) {
        const c = s.routes[r.name]?.compare;
        if (c === undefined) continue;
        try {
          comparer.merge(parseComparerSnapshot(c));
        } catch {
          // left out, as in the report
        }
      }
      entry = { key, comparer };
      this.cache.set(r.name, entry);
    }
    return entry.comparer.guardSignals(nowMs);
  }
}
