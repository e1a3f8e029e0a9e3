// PERSON errors on the tune half of presidio-synth only: the missed names and the false ones, each with its
// sentence, and what the corpus labels a false one as (ORGANIZATION, GPE, …). The held-out half is never
// printed here: changes are chosen from these errors, and bench/anonymize-corpus.ts measures both halves.
// Usage: node dist/bench/person-errors.js PATH/synth_dataset_v2.json [--seed N]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { scanText } from '../src/anonymize/scan.js';
import { tuneHalf, type Sample } from './anonymize-corpus.js';

function main(): void {
  const path = process.argv[2];
  if (path === undefined || path.startsWith('--')) {
    process.stderr.write('usage: person-errors PATH/synth_dataset_v2.json [--seed N]\n');
    process.exit(2);
  }
  const at = process.argv.indexOf('--seed');
  const seed = at > 0 ? Number(process.argv[at + 1]) : 1;
  const samples = (JSON.parse(readFileSync(path, 'utf8')) as Sample[]).filter((s) => tuneHalf(s.template_id ?? 0, seed));
  let support = 0; let found = 0; let detected = 0; let truePos = 0;
  const missed: string[] = [];
  const falses: string[] = [];
  const falseAs = new Map<string, number>();
  for (const s of samples) {
    const pred = scanText(s.full_text).filter((p) => p.entity === 'person');
    const gold = s.spans.filter((g) => g.entity_type === 'PERSON');
    const line = s.full_text.replace(/\n/g, '⏎');
    for (const g of gold) {
      support++;
      if (pred.some((p) => p.start < g.end_position && g.start_position < p.end)) found++;
      else missed.push(`MISS [${g.entity_value}] t${s.template_id}: ${line}`);
    }
    for (const p of pred) {
      detected++;
      if (gold.some((g) => p.start < g.end_position && g.start_position < p.end)) { truePos++; continue; }
      const other = s.spans.find((g) => p.start < g.end_position && g.start_position < p.end)?.entity_type ?? 'none';
      falseAs.set(other, (falseAs.get(other) ?? 0) + 1);
      falses.push(`FALSE [${s.full_text.slice(p.start, p.end)}] as ${other} t${s.template_id}: ${line}`);
    }
  }
  process.stdout.write(`tune half: ${samples.length} sentences; PERSON support ${support}, recall ${(found / support).toFixed(3)}, ` +
    `precision ${(truePos / detected).toFixed(3)} (${detected} detected)\n`);
  process.stdout.write(`false ones by corpus label: ${[...falseAs].map(([k, n]) => `${k} ${n}`).join(', ')}\n\n`);
  for (const l of [...missed, ...falses]) process.stdout.write(`${l}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
