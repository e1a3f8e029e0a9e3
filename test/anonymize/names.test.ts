// Name recall in free text: unaccented spellings, a given name before a listed surname, cues before a
// name; and the everyday capitalised words (Can I, The, He) that must not become names.
import { describe, expect, test } from 'vitest';
import { scanText } from '../../src/anonymize/scan.js';
import { jsonRequest, mustAnonymize, policyFrom } from './helpers.js';

const persons = (t: string) => scanText(t).filter((s) => s.entity === 'person').map((s) => t.slice(s.start, s.end));

describe('person names in free text', () => {
  test('the demo note that once leaked is replaced by the text transform', () => {
    const p = policyFrom({ fields: { '$.note': 'text' } });
    const out = JSON.parse(mustAnonymize(p, jsonRequest({ note: 'Gift for Joao Brown, wrapped please' })).body) as { note: string };
    expect(out.note).toMatch(/^Gift for \S+ \S+, wrapped please$/);
    expect(out.note).not.toMatch(/Joao|Brown/);
  });

  test('unaccented spellings of listed names are names', () => {
    expect(persons('Gift for Joao Brown, wrapped please')).toEqual(['Joao Brown']);
    expect(persons('Jurgen Schmidt called twice')).toEqual(['Jurgen Schmidt']);
    expect(persons('ask Celine Moreau or Ines Garcia')).toEqual(['Celine Moreau', 'Ines Garcia']);
  });

  test('a capitalised word before a listed surname is its given name', () => {
    expect(persons('Gift for Xiadani Okafor, wrapped please')).toEqual(['Xiadani Okafor']);
    expect(persons('The Davis family')).toEqual(['Davis']);
  });

  test('a cue names an unlisted person', () => {
    expect(persons("What's your name? Sölvi Salómonsson")).toEqual(['Sölvi Salómonsson']);
    expect(persons('a film directed by Wacława Adamska')).toEqual(['Wacława Adamska']);
  });

  test('pronouns and short everyday words are not names', () => {
    expect(persons('Can I withdraw cash using my card?')).toEqual([]);
    expect(persons('He just turned 46 years old')).toEqual([]);
    expect(persons('Oh do they serve vegan food')).toEqual([]);
  });
});
