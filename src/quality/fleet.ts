// A fleet's quality section (a `server.workers` cluster's primary, a Redis fleet): every contributor's
// own QualityReport, combined without merging profiles. Each process learns its own reference from its
// own first copies and keeps its own window of its latest ones (docs/quality.md, "Across processes"):
// the gate is closed when ANY contributor's gate is closed, with every closed contributor's reasons.
import type { QualityReport } from './route-quality.js';

/** One contributor's gate, as the combined section lists them. */
export interface QualityContributor {
  readonly replica: string;
  readonly status: QualityReport['status'];
  readonly referenceRows: number;
  readonly windowRows: number;
  readonly gate: QualityReport['gate'];
}

/** The combined section: the governing contributor's report (the closed gate with most drifted features), the fleet's gate, and who said what. */
export interface FleetQualityReport extends QualityReport {
  readonly contributors: readonly QualityContributor[];
}

const driftedOf = (q: QualityReport): number => q.features.filter((f) => f.drift?.drifted === true).length;
const closed = (q: QualityReport): boolean => q.gate.enabled && !q.gate.open;

/** Every contributor's quality section combined (undefined when none has one). */
export function combineQuality(parts: readonly { readonly replica: string; readonly quality: QualityReport }[]): FleetQualityReport | undefined {
  if (parts.length === 0) return undefined;
  // The report shown is the one that gates: a closed contributor's, the one with the most drifted features
  // (so the `drift` criterion counts the worst contributor's), else the first contributor's.
  let governing = parts[0]!.quality;
  for (const { quality } of parts) {
    if (closed(quality) && (!closed(governing) || driftedOf(quality) > driftedOf(governing))) governing = quality;
  }
  const reasons = [...new Set(parts.flatMap(({ quality }) => (closed(quality) ? quality.gate.reasons : [])))];
  const enabled = parts.some(({ quality }) => quality.gate.enabled);
  return {
    ...governing,
    gate: { enabled, open: !parts.some(({ quality }) => closed(quality)), reasons },
    contributors: parts.map(({ replica, quality }) => ({
      replica, status: quality.status, referenceRows: quality.reference.rows, windowRows: quality.window.rows, gate: quality.gate,
    })),
  };
}
