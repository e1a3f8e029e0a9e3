// One exchange diffed with a route's rules, before any tally (the part that reads the bodies): runs in a
// shadow thread, next to the bodies, and loads neither the tallies nor their snapshot schemas (zod), so a
// thread does not hold them (docs/memory.md). RouteComparer (index.ts) counts the result.
import type { ShadowExchange, ShadowFailure, ShadowResponse, ShadowRole } from '../exchange.js';
import { DiffResult, NOT_JSON, ParsedAnswers, diffResponses, sameAnswer, type DifferenceKind } from './diff.js';
import { valueAt } from './paths.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import type { CompiledRules } from './rules.js';
import { buildSample, type SampleGate, type Sample } from './samples.js';

/** Label values longer than this are cut: a label is a class name, not a document. */
const MAX_LABEL_CHARS = 64;

/** What one call of an exchange tells the tally: enough to count it, none of its body. */
export interface CallSummary {
  readonly role: ShadowRole;
  /** 0 when no response arrived. */
  readonly status: number;
  readonly error?: ShadowFailure | undefined;
  readonly latencyMs: number;
}

/**
 * One exchange compared, before any tally: plain data (structured-clone-able, no Buffer, no class), so a
 * shadow thread can diff next to the bodies and send the main thread only this. RouteComparer.recordDiff
 * counts it.
 */
export interface ExchangeDiff {
  /** The calls made, incumbent first (incumbent, candidate, baseline). */
  readonly calls: readonly CallSummary[];
  /** `compared` when incumbent and candidate both answered usably; else why their answers do not compare. */
  readonly state: 'compared' | 'error' | 'incomplete';
  /** Distinct differing paths (candidate vs incumbent), first kind seen for each. */
  readonly fields: readonly (readonly [string, DifferenceKind])[];
  /** Paths where the baseline differed from the incumbent; undefined without a usable baseline answer. */
  readonly noise: readonly string[] | undefined;
  /** [incumbent, candidate] label values, when a label path is configured and both bodies are JSON. */
  readonly labels: readonly [string, string] | undefined;
  readonly scoreDeltas: readonly (readonly [string, number])[];
  readonly similarities: readonly (readonly [string, number])[];
  readonly overlaps: readonly (readonly [string, number])[];
  /** An example pair, only when some field's sample ring takes it (see SampleGate). */
  readonly sample: { readonly fields: readonly string[]; readonly sample: Sample } | undefined;
}

export interface DiffOptions {
  /** Decides whether this mismatch is worth a sample; without one no sample is built. */
  readonly gate?: SampleGate | undefined;
  readonly maxSampleBytes: number;
  /** Where the answers' parses go, to be shared with the caller (the dataset's leak guard); one per exchange. */
  readonly parsed?: ParsedAnswers | undefined;
}

const NO_PAIRS: readonly (readonly [string, number])[] = [];

function summary(r: ShadowResponse): CallSummary {
  return r.error === undefined ? { role: r.role, status: r.status, latencyMs: r.latencyMs } : { role: r.role, status: r.status, error: r.error, latencyMs: r.latencyMs };
}

/** Diffs one exchange with a route's rules: pure (no tally, no clock), the part that reads the bodies. */
export function diffExchange(ex: ShadowExchange, rules: CompiledRules, opts: DiffOptions): ExchangeDiff {
  const { incumbent: inc, candidate: cand, baseline: base } = ex.responses;
  const calls: CallSummary[] = [];
  for (const r of [inc, cand, base]) if (r) calls.push(summary(r));
  const none = { calls, fields: [], noise: undefined, labels: undefined, scoreDeltas: NO_PAIRS, similarities: NO_PAIRS, overlaps: NO_PAIRS, sample: undefined } as const;
  if (!inc || !cand) return { ...none, state: 'incomplete' };
  if (failed(inc) || failed(cand)) return { ...none, state: 'error' };

  // The fast path: byte-identical answers differ nowhere, so they are parsed only when a rule measures
  // something between them or a label is read, and then once for both (the same tree, the same result).
  const parsed = opts.parsed ?? new ParsedAnswers();
  const same = sameAnswer(inc, cand);
  const diff = new DiffResult();
  if (!same || rules.measures) diffResponses(inc, parsed.of(inc), cand, same ? parsed.alias(cand, inc) : parsed.of(cand), rules, diff);
  const fields = [...diff.fields()];

  let noise: string[] | undefined;
  if (base && !failed(base)) {
    if (sameAnswer(inc, base)) {
      noise = [];
    } else {
      const noiseDiff = new DiffResult();
      diffResponses(inc, parsed.of(inc), base, parsed.of(base), rules, noiseDiff);
      noise = [...noiseDiff.fields().keys()];
    }
  }
  let labels: readonly [string, string] | undefined;
  if (rules.labelPath) {
    const pInc = parsed.of(inc);
    const pCand = same ? parsed.alias(cand, inc) : parsed.of(cand);
    if (pInc !== NOT_JSON && pCand !== NOT_JSON) labels = [labelText(valueAt(pInc, rules.labelPath)), labelText(valueAt(pCand, rules.labelPath))];
  }
  let sample: ExchangeDiff['sample'];
  if (fields.length > 0 && opts.gate) {
    const wanted = opts.gate.wanted(fields.map(([path]) => path));
    if (wanted.length > 0) sample = { fields: wanted, sample: buildSample(ex, cand, 'candidate', opts.maxSampleBytes) };
  }
  return { calls, state: 'compared', fields, noise, labels, scoreDeltas: diff.scoreDeltas, similarities: diff.similarities, overlaps: diff.overlaps, sample };
}

/** A shadow call that produced no usable answer: transport failure or a server error. */
export function failed(r: Pick<ShadowResponse, 'status' | 'error'>): boolean {
  return r.status === 0 || r.error !== undefined || r.status >= 500;
}

function labelText(v: unknown): string {
  return (typeof v === 'string' ? v : v === undefined ? '(missing)' : canonicalJson(v)).slice(0, MAX_LABEL_CHARS);
}
