// Recall, precision and speed per entity type of the free-text scanner (scanText) on the presidio-synth corpus.
// Usage: node dist/bench/anonymize-corpus.js PATH/synth_dataset_v2.json [--baseline OLD/scan.js] [--seed N]
//        [--repeat N] [--json OUT]
// A labelled span counts as found when a detected span of the mapped type overlaps it (so the labelled value
// is gone from the output); "whole" recall asks more: every letter and digit of the span lies inside some
// detected span (of any type). A detected span is a true positive when it overlaps a labelled span of its type
// (the presidio-research span-overlap view).
// Against overfitting the corpus is split by template (sentences of one template never straddle the halves),
// by a seeded hash of template_id: detectors are tuned on the "tune" half, the "held-out" half is reported
// beside it and the whole. `--baseline` loads another build's scan.js (e.g. main's, compiled to /tmp) and
// reports it in the same run; timings interleave the two scanners and take the median of `--repeat` passes,
// in CPU time of this process (MB per CPU-second), which other load on a shared machine disturbs less.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createAnonymizer } from '../src/anonymize/index.js';
import { scanText } from '../src/anonymize/scan.js';
import { anonymizeSchema } from '../src/config/schema/anonymize.js';
import type { Entity, Span } from '../src/anonymize/detectors/types.js';

const LABEL_OF: Partial<Record<Entity, string>> = {
  email: 'EMAIL_ADDRESS', card: 'CREDIT_CARD', phone: 'PHONE_NUMBER', iban: 'IBAN_CODE', ssn: 'US_SSN',
  ip: 'IP_ADDRESS', person: 'PERSON', address: 'STREET_ADDRESS', dob: 'DATE_TIME', postcode: 'ZIP_CODE',
};

export interface Sample {
  full_text: string;
  template_id?: number;
  spans: { entity_type: string; entity_value: string; start_position: number; end_position: number }[];
}

export interface CorpusScore {
  label: string; support: number; recall: number; wholeRecall: number; precision: number; detected: number;
}

type Scan = (text: string) => Span[];

/** Scores one scanner's predictions (computed once per sample) on a subset of the samples. */
export function scorePredictions(samples: readonly Sample[], predictions: readonly Span[][]): CorpusScore[] {
  const found = new Map<string, number>();
  const whole = new Map<string, number>();
  const support = new Map<string, number>();
  const detected = new Map<string, number>();
  const truePos = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  samples.forEach((s, i) => {
    const all = predictions[i]!;
    const pred = all.flatMap((p) => { const l = LABEL_OF[p.entity]; return l ? [{ ...p, label: l }] : []; });
    for (const g of s.spans) {
      inc(support, g.entity_type);
      if (pred.some((p) => p.label === g.entity_type && p.start < g.end_position && g.start_position < p.end)) inc(found, g.entity_type);
      if (covered(s.full_text, g.start_position, g.end_position, all)) inc(whole, g.entity_type);
    }
    for (const p of pred) {
      inc(detected, p.label);
      if (s.spans.some((g) => g.entity_type === p.label && p.start < g.end_position && g.start_position < p.end)) inc(truePos, p.label);
    }
  });
  return Object.values(LABEL_OF).map((label) => {
    const n = support.get(label) ?? 0;
    const d = detected.get(label) ?? 0;
    return {
      label, support: n, recall: n === 0 ? 0 : (found.get(label) ?? 0) / n,
      wholeRecall: n === 0 ? 0 : (whole.get(label) ?? 0) / n,
      precision: d === 0 ? 0 : (truePos.get(label) ?? 0) / d, detected: d,
    };
  });
}

function covered(text: string, start: number, end: number, spans: readonly Span[]): boolean {
  for (let i = start; i < end; i++) {
    if (!/[\p{L}\p{N}]/u.test(text[i]!)) continue;
    if (!spans.some((p) => p.start <= i && i < p.end)) return false;
  }
  return true;
}

/** FNV-1a of the seed and template id: a stable, seeded half assignment. */
export function tuneHalf(templateId: number, seed: number): boolean {
  let h = 0x811c9dc5;
  for (const c of `${seed}:${templateId}`) { h ^= c.charCodeAt(0); h = Math.imul(h, 0x01000193) >>> 0; }
  return (h & 1) === 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (path === undefined || path.startsWith('--')) {
    process.stderr.write('usage: anonymize-corpus PATH/synth_dataset_v2.json [--baseline OLD/scan.js] [--seed N] [--repeat N] [--json OUT]\n');
    process.exit(2);
  }
  const seed = Number(arg('--seed') ?? 1);
  const repeat = Math.max(1, Number(arg('--repeat') ?? 7));
  const samples = JSON.parse(readFileSync(path, 'utf8')) as Sample[];
  const scanners: { name: string; scan: Scan }[] = [];
  const baselinePath = arg('--baseline');
  if (baselinePath !== undefined) {
    const mod = await import(pathToFileURL(resolve(baselinePath)).href) as { scanText: Scan };
    scanners.push({ name: 'baseline', scan: (t) => mod.scanText(t) });
  }
  scanners.push({ name: 'this build', scan: (t) => scanText(t) });
  const bytes = samples.reduce((n, s) => n + Buffer.byteLength(s.full_text), 0);
  // Timing: one warm-up pass each, then `repeat` interleaved passes; the median pass's CPU time gives MB/s.
  const times = scanners.map(() => [] as number[]);
  for (let r = -1; r < repeat; r++) {
    scanners.forEach((sc, k) => {
      const c0 = process.cpuUsage();
      for (const s of samples) sc.scan(s.full_text);
      const c = process.cpuUsage(c0);
      const ms = (c.user + c.system) / 1000;
      if (r >= 0) times[k]!.push(ms);
    });
  }
  const halves = {
    tune: samples.map((s) => tuneHalf(s.template_id ?? 0, seed)),
  };
  const subsets: { name: string; pick: (i: number) => boolean }[] = [
    { name: 'tune', pick: (i) => halves.tune[i]! },
    { name: 'held-out', pick: (i) => !halves.tune[i]! },
    { name: 'whole', pick: () => true },
  ];
  const templates = new Set(samples.map((s) => s.template_id ?? 0));
  const tuneTemplates = [...templates].filter((t) => tuneHalf(t, seed)).length;
  process.stdout.write(`presidio-synth: ${samples.length} sentences, ${bytes} bytes; split by template with seed ${seed}: ` +
    `${tuneTemplates} of ${templates.size} templates (${halves.tune.filter(Boolean).length} sentences) in the tune half\n`);
  const result: Record<string, unknown> = { bench: 'anonymize-corpus', seed, samples: samples.length, bytes, scanners: {} };
  scanners.forEach((sc, k) => {
    const predictions = samples.map((s) => sc.scan(s.full_text));
    const ms = median(times[k]!);
    const mbps = bytes / 1e6 / (ms / 1000);
    process.stdout.write(`\n== ${sc.name}: median pass ${ms.toFixed(1)} ms CPU, ${mbps.toFixed(1)} MB per CPU-second (${repeat} passes)\n`);
    process.stdout.write('entity            subset    support  recall  whole  precision  detected\n');
    const bySubset: Record<string, CorpusScore[]> = {};
    for (const sub of subsets) {
      const idx = samples.map((_, i) => i).filter(sub.pick);
      const scores = scorePredictions(idx.map((i) => samples[i]!), idx.map((i) => predictions[i]!));
      bySubset[sub.name] = scores;
    }
    for (const label of Object.values(LABEL_OF)) {
      for (const sub of subsets) {
        const s = bySubset[sub.name]!.find((x) => x.label === label)!;
        process.stdout.write(`${label.padEnd(17)} ${sub.name.padEnd(9)} ${String(s.support).padStart(7)}  ${s.recall.toFixed(3)}   ${s.wholeRecall.toFixed(3)}  ${s.precision.toFixed(3)}      ${String(s.detected).padStart(6)}\n`);
      }
    }
    (result.scanners as Record<string, unknown>)[sc.name] = { medianPassMs: ms, mbPerS: mbps, passesMs: times[k], scores: bySubset };
  });
  const guard = guardDrops(samples);
  process.stdout.write(`\nthrough a policy (text/plain, unknown: scan): ${guard.dropped} of ${samples.length} copies dropped by the leak guard\n`);
  for (const [r, n] of Object.entries(guard.reasons)) process.stdout.write(`  ${n}  ${r}\n`);
  result.guard = guard;
  const jsonOut = arg('--json');
  if (jsonOut !== undefined) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
}

/**
 * Each sentence through a real policy (text/plain, unknown: scan) as the proxy would send it: how many
 * copies the leak guard drops (it must not take the engine's own pseudonyms for leaks).
 */
export function guardDrops(samples: readonly Sample[]): { dropped: number; reasons: Record<string, number> } {
  const cfg = anonymizeSchema.parse({ key: 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz', policies: { p: { unknown: 'scan' } } });
  const policy = createAnonymizer(cfg, ['p']).policy('p')!;
  const reasons: Record<string, number> = {};
  let dropped = 0;
  for (const s of samples) {
    const out = policy.anonymize({ method: 'POST', url: '/', headers: { 'content-type': 'text/plain' }, body: Buffer.from(s.full_text) });
    if (!out.ok) { dropped++; const k = `${out.reason}: ${out.detail}`; reasons[k] = (reasons[k] ?? 0) + 1; }
  }
  return { dropped, reasons };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
