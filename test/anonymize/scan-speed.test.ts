// The free-text scanner's shortcuts find exactly what the plain forms find (fast-check, fixed seeds): the
// email detector tried only from each `@` against its regex run globally over the text, the local parts a
// person's name is looked for in likewise, and the normalized view that is the text itself when no
// character changes.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EMAIL_SOURCE, LOCAL_SOURCE, detectEmail, localParts } from '../../src/anonymize/detectors/email.js';
import type { Span } from '../../src/anonymize/detectors/types.js';
import { sourceRange, viewOf } from '../../src/anonymize/normalize.js';

// Pieces that make addresses, near-addresses and their borders: local-part characters of every class
// (marks, astral letters, lone surrogates), `@`, dots, hyphens, quotes and long runs.
const PIECES = ['a', 'Z', '7', '.', '_', '%', '+', '-', '@', ' ', '\n', 'é', 'e\u0301', '\u0301', 'ß', '王', '٣', '𝒜', '𠀀',
  '\ud800', '\udc00', '"', ',', ':', 'xn--', 'com', 'de', 'example', 'mail.co', 'x'.repeat(63), 'y'.repeat(65), 'ab@cd.ef', 'ü'];
const arbText = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((p) => p.join(''));

function globalHits(source: string, text: string): Span[] {
  const re = new RegExp(source, 'gu');
  const out: Span[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, entity: 'email' });
  return out;
}

function globalLocals(text: string, max: number): string[] {
  const re = new RegExp(LOCAL_SOURCE, 'gu');
  const out: string[] = [];
  for (let m = re.exec(text); m !== null && out.length < max; m = re.exec(text)) out.push(m[1]!.toLowerCase());
  return out;
}

describe('email detection from each @', () => {
  test('finds exactly the hits of the regex run over the whole text', () => {
    fc.assert(fc.property(arbText, (text) => {
      const out: Span[] = [];
      detectEmail(text, out);
      // The quoted form is a second regex (unchanged): compare the unquoted hits.
      const quoted = text.indexOf('"@') >= 0;
      expect(quoted ? out.slice(0, globalHits(EMAIL_SOURCE, text).length) : out).toEqual(globalHits(EMAIL_SOURCE, text));
    }), { seed: 20, numRuns: 3000 });
  });

  test('addresses side by side, run-ons and over-long local parts', () => {
    for (const text of ['a@b.co', 'ab@cd.ef@gh.ij', 'x.y@mail.example.com.zz@q.de', `${'a'.repeat(64)}@e.com`, `${'a'.repeat(65)}@e.com`,
      'é\u0301x@ü.de', '𝒜b@c.de', 'a@b@c.de', '@a.de', 'a.@b.de.', 'mail: jo@x.io, ann@y.io.']) {
      const out: Span[] = [];
      detectEmail(text, out);
      expect(out).toEqual(globalHits(EMAIL_SOURCE, text));
    }
  });

  test('the local parts are those of the regex run over the whole text, the first 16', () => {
    fc.assert(fc.property(arbText, fc.integer({ min: 1, max: 16 }), (text, max) => {
      expect(localParts(text, max)).toEqual(globalLocals(text, max));
    }), { seed: 21, numRuns: 3000 });
    const many = Array.from({ length: 20 }, (_, i) => `user${i}@host.com`).join(' ');
    expect(localParts(many, 16)).toEqual(globalLocals(many, 16));
    expect(localParts(`${'k'.repeat(80)}@x.de`, 16)).toEqual(['k'.repeat(64)]);
  });
});

describe('the normalized view', () => {
  test('is the text itself when every character is its own NFKC form, with the identity map', () => {
    const arb = fc.array(fc.constantFrom('a', ' ', '王', 'محمد', 'é', 'ß', 'Ж', '김', '%41', '4'), { maxLength: 30 }).map((p) => p.join(''));
    fc.assert(fc.property(arb, (text) => {
      const v = viewOf(text);
      if (text.includes('%41')) return; // percent-decoding changes it (the layer below)
      expect(v.text).toBe(text);
      expect(v.start).toBeUndefined();
      expect(sourceRange(v, 0, text.length)).toEqual([0, text.length]);
    }), { seed: 22, numRuns: 500 });
  });

  test('maps through both layers when a character changes or a percent escape is decoded', () => {
    const v = viewOf('王 %41 ４');
    expect(v.text).toBe('王 A 4');
    expect(sourceRange(v, 2, 3)).toEqual([2, 5]);
    expect(sourceRange(v, 4, 5)).toEqual([6, 7]);
    const w = viewOf('王 %41');
    expect(w.text).toBe('王 A');
    expect(sourceRange(w, 2, 3)).toEqual([2, 5]);
  });
});
