// Bounded Prometheus labels for field_mismatches_total: configured fields always, then the first
// fields to prove frequent (admitAfter mismatches) until topFields are taken; everything else is
// `other`. A label once given is kept, because a counter series must not change meaning.
import type { CompareConfig } from '../config/schema.js';
import type { Metrics } from './metrics.js';
import { OTHER } from '../compare/tally.js';
import { CompiledRules } from '../compare/rules.js';
import type { CompareOutcome } from '../compare/index.js';

/** Mismatches a field needs before it earns its own label (keeps one-off paths out). */
const ADMIT_AFTER = 3;
/** Candidate fields counted while waiting for a label; beyond this new paths count as other at once. */
const MAX_PENDING = 1024;
/** Label values are paths from answers: cut so that a long key cannot blow up a series name. */
const MAX_LABEL_CHARS = 128;


export class FieldLabelTracker {
  /** Metric children resolved once per label (results are 4, field labels topFields + configured + other). */
  readonly children = new Map<string, { inc(): void }>();
  private readonly labeled = new Set<string>();
  private readonly pending = new Map<string, number>();
  private admitted = 0;
  private readonly topFields: number;

  constructor(cfg: Readonly<CompareConfig>) {
    this.topFields = cfg.topFields;
    for (const f of new CompiledRules(cfg).configuredFields) this.labeled.add(f.slice(0, MAX_LABEL_CHARS));
  }

  /** The label for a differing field. */
  labelFor(field: string): string {
    if (this.labeled.has(field)) return field;
    if (field.length > MAX_LABEL_CHARS || this.admitted >= this.topFields) return OTHER;
    const seen = (this.pending.get(field) ?? 0) + 1;
    if (seen >= ADMIT_AFTER) {
      this.pending.delete(field);
      this.labeled.add(field);
      this.admitted++;
      return field;
    }
    if (this.pending.has(field) || this.pending.size < MAX_PENDING) this.pending.set(field, seen);
    return OTHER;
  }
}

export function observeComparison(metrics: Metrics, route: string, outcome: CompareOutcome, tracker: FieldLabelTracker): void {
  const children = tracker.children;
  let c = children.get(outcome.result);
  if (!c) children.set(outcome.result, (c = metrics.comparisons.labels(route, outcome.result)));
  c.inc();
  for (const field of outcome.fields) {
    const label = tracker.labelFor(field);
    const key = `field:${label}`;
    let f = children.get(key);
    if (!f) children.set(key, (f = metrics.fieldMismatches.labels(route, label)));
    f.inc();
  }
}
