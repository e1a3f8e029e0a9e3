// Person names in free text: runs of capitalised words (and initials) where a word is in the bundled
// first-name or surname lists. A dictionary plus capitalisation: fast and predictable, recall measured in
// bench/anonymize-corpus.ts.
import { FIRST_NAMES, SURNAMES, AMBIGUOUS_NAMES } from '../data/names.js';
import type { Span } from './types.js';

// Up to five capitalised tokens or initials (`J`, `D.`) separated by single spaces.
const RUN = /(?<![\p{L}\p{M}'’\-])\p{Lu}[\p{L}\p{M}'’\-]{0,30}\.?(?: \p{Lu}[\p{L}\p{M}'’\-]{0,30}\.?){0,4}(?![\p{L}\p{M}])/gu;
const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'madam', 'mx', 'herr', 'frau', 'mme', 'mlle', 'sr', 'sra']);

function isInitial(t: string): boolean {
  return t.length <= 2 && (t.length === 1 || t.endsWith('.'));
}

export function detectPerson(text: string, out: Span[]): void {
  RUN.lastIndex = 0;
  for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
    const run = m[0];
    const tokens = run.split(' ');
    let offset = m.index;
    let first = -1;
    let last = -1;
    let strong = false;
    let titled = false;
    let afterTitle = -1;
    const starts: number[] = [];
    for (let i = 0; i < tokens.length; i++) {
      starts.push(offset);
      const t = tokens[i]!;
      const bare = t.endsWith('.') ? t.slice(0, -1) : t;
      const lower = bare.toLowerCase();
      if (TITLES.has(lower)) { titled = true; afterTitle = i + 1; offset += t.length + 1; continue; }
      const known = FIRST_NAMES.has(lower) || SURNAMES.has(lower);
      const nameish = known || (first >= 0 && (isInitial(t) || i > first));
      if (known && first < 0) first = i;
      if (first >= 0 && nameish) last = i;
      if (known && !AMBIGUOUS_NAMES.has(lower)) strong = true;
      offset += t.length + 1;
    }
    if (first < 0 && titled && afterTitle < tokens.length) { first = afterTitle; last = tokens.length - 1; }
    if (first < 0) continue;
    // A title before a lone capitalised word (Dr Okafor) names a person even when the word is unknown.
    const multi = last > first;
    if (!strong && !multi && !titled) continue;
    const start = starts[first]!;
    const lastToken = tokens[last]!;
    let end = starts[last]! + lastToken.length;
    if (lastToken.endsWith('.') && lastToken.length > 2) end -= 1;
    out.push({ start, end, entity: 'person' });
  }
}
