// Recall and precision per entity type of the free-text scanner (scanText) on the presidio-synth corpus.
// Usage: node dist/bench/anonymize-corpus.js PATH/synth_dataset_v2.json [--json OUT]
// A labelled span counts as found when a detected span of the mapped type overlaps it; a detected span is
// a true positive when it overlaps a labelled span of its type (the presidio-research span-overlap view).
import { readFileSync, writeFileSync } from 'node:fs';
import { createAnonymizer } from '../src/anonymize/index.js';
import { scanText } from '../src/anonymize/scan.js';
import { anonymizeSchema } from '../src/config/schema/anonymize.js';
import type { Entity } from '../src/anonymize/detectors/types.js';

const LABEL_OF: Partial<Record<Entity, string>> = {
  email: 'EMAIL_ADDRESS', card: 'CREDIT_CARD', phone: 'PHONE_NUMBER', iban: 'IBAN_CODE', ssn: 'US_SSN',
  ip: 'IP_ADDRESS', person: 'PERSON', address: 'STREET_ADDRESS',
};

interface Sample {
  full_text: string;
  spans: { entity_type: string; entity_value: string; start_position: number; end_position: number }[];
}

export interface CorpusScore { label: string; support: number; recall: number; precision: number; detected: number }

export function scoreCorpus(samples: readonly Sample[]): { scores: CorpusScore[]; chars: number; ms: number } {
  const found = new Map<string, number>();
  const support = new Map<string, number>();
  const detected = new Map<string, number>();
  const truePos = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  let chars = 0;
  const t0 = performance.now();
  const predictions = samples.map((s) => { chars += s.full_text.length; return scanText(s.full_text); });
  const ms = performance.now() - t0;
  samples.forEach((s, i) => {
    const pred = predictions[i]!.flatMap((p) => { const l = LABEL_OF[p.entity]; return l ? [{ ...p, label: l }] : []; });
    for (const g of s.spans) {
      inc(support, g.entity_type);
      if (pred.some((p) => p.label === g.entity_type && p.start < g.end_position && g.start_position < p.end)) inc(found, g.entity_type);
    }
    for (const p of pred) {
      inc(detected, p.label);
      if (s.spans.some((g) => g.entity_type === p.label && p.start < g.end_position && g.start_position < p.end)) inc(truePos, p.label);
    }
  });
  const scores = Object.values(LABEL_OF).map((label) => {
    const n = support.get(label) ?? 0;
    const d = detected.get(label) ?? 0;
    return { label, support: n, recall: n === 0 ? 0 : (found.get(label) ?? 0) / n, precision: d === 0 ? 0 : (truePos.get(label) ?? 0) / d, detected: d };
  });
  return { scores, chars, ms };
}

/**
 * Each sentence through a real policy (text/plain, unknown: scan) as the proxy would send it: how many
 * copies the leak guard drops (it must not take the engine's own pseudonyms for leaks), and the MB/s.
 */
export function guardDrops(samples: readonly Sample[]): { dropped: number; reasons: Record<string, number>; mbPerSecond: number } {
  const cfg = anonymizeSchema.parse({ key: 'bench-key-0123456789abcdefghijklmnopqrstuvwxyz', policies: { p: { unknown: 'scan' } } });
  const policy = createAnonymizer(cfg, ['p']).policy('p')!;
  const reasons: Record<string, number> = {};
  let dropped = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (const s of samples) {
    const body = Buffer.from(s.full_text);
    bytes += body.length;
    const out = policy.anonymize({ method: 'POST', url: '/', headers: { 'content-type': 'text/plain' }, body });
    if (!out.ok) { dropped++; const k = `${out.reason}: ${out.detail}`; reasons[k] = (reasons[k] ?? 0) + 1; }
  }
  const ms = performance.now() - t0;
  return { dropped, reasons, mbPerSecond: bytes / 1e3 / ms };
}

function main(): void {
  const path = process.argv[2];
  if (path === undefined) {
    process.stderr.write('usage: anonymize-corpus PATH/synth_dataset_v2.json [--json OUT]\n');
    process.exit(2);
  }
  const samples = JSON.parse(readFileSync(path, 'utf8')) as Sample[];
  const { scores, chars, ms } = scoreCorpus(samples);
  process.stdout.write(`presidio-synth: ${samples.length} sentences, ${chars} chars scanned in ${ms.toFixed(1)} ms\n`);
  process.stdout.write('entity            support  recall  precision  detected\n');
  for (const s of scores) {
    process.stdout.write(`${s.label.padEnd(17)} ${String(s.support).padStart(7)}  ${s.recall.toFixed(3)}   ${s.precision.toFixed(3)}     ${String(s.detected).padStart(6)}\n`);
  }
  const guard = guardDrops(samples);
  process.stdout.write(`through a policy (text/plain, unknown: scan): ${guard.dropped} of ${samples.length} copies dropped, ${guard.mbPerSecond.toFixed(1)} MB/s\n`);
  for (const [r, n] of Object.entries(guard.reasons)) process.stdout.write(`  ${n}  ${r}\n`);
  const result = { bench: 'anonymize-corpus', samples: samples.length, chars, scanMs: ms, scores, guard };
  const jsonAt = process.argv.indexOf('--json');
  if (jsonAt > 0 && process.argv[jsonAt + 1] !== undefined) writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(result, null, 2));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
