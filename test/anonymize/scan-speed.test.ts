// The free-text scanner's shortcuts find exactly what the plain forms find (fast-check, fixed seeds): the
// email detector tried only from each `@` against its regex run globally over the text, the local parts a
// person's name is looked for in likewise, capitalised runs tried only at capitals, base64 runs only at
// runs of 16, the IPv6 regex skipped without two close colons, and the normalized view that is the text
// itself when no character changes.
import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EMAIL_SOURCE, LOCAL_SOURCE, detectEmail, localParts } from '../../src/anonymize/detectors/email.js';
import { nextCapitalRun } from '../../src/anonymize/detectors/capitals.js';
import { IPV4, IPV6, detectIp } from '../../src/anonymize/detectors/ip.js';
import { RUN } from '../../src/anonymize/detectors/person.js';
import type { Span } from '../../src/anonymize/detectors/types.js';
import { RUN_SOURCE, base64Runs } from '../../src/anonymize/encoded.js';
import { sourceRange, viewOf } from '../../src/anonymize/normalize.js';
import { flagsOf, longFlagsOf } from '../../src/anonymize/scan.js';
import { mustAnonymize, policyFrom } from './helpers.js';

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

function globalMatches(re: RegExp, text: string): [number, string][] {
  const g = new RegExp(re.source, re.flags.replace(/[gy]/g, '') + 'g');
  const out: [number, string][] = [];
  for (let m = g.exec(text); m !== null; m = g.exec(text)) {
    out.push([m.index, m[0]]);
    if (m[0].length === 0) g.lastIndex++;
  }
  return out;
}

describe('regexes tried only where a match can start', () => {
  test('capitalised runs: tried at capitals, the same runs as the global regex', () => {
    const pieces = ['Ada', 'ada', ' ', '  ', 'Lovelace', 'de ', 'van der ', 'J.', 'D', "O'Neil", 'Ö', 'ö', 'Ša', '\u0301', 'Ж', 'ж',
      '𐐀', '𐐨', '\ud801', '-', '’', '.', ',', '\n', 'X'.repeat(31), 'Y'.repeat(33), 'McDonald', 'THE', '王', 'ǅ'];
    const arb = fc.array(fc.constantFrom(...pieces), { maxLength: 50 }).map((p) => p.join(''));
    fc.assert(fc.property(arb, (text) => {
      const got: [number, string][] = [];
      for (let m = nextCapitalRun(RUN, text, 0); m !== null; m = nextCapitalRun(RUN, text, m.index + m[0].length)) got.push([m.index, m[0]]);
      expect(got).toEqual(globalMatches(RUN, text));
    }), { seed: 23, numRuns: 3000 });
  });

  test('base64 runs: tried at runs of 16, the same runs as the global regex', () => {
    const pieces = ['QUJD', 'ZGVm', 'a', 'Z', '0', '+', '/', '_', '-', '=', '==', '===', ' ', '.', ':', 'é', 'x'.repeat(15), 'y'.repeat(16), 'eyJhbGciOi'];
    const arb = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((p) => p.join(''));
    const re = new RegExp(RUN_SOURCE, 'y');
    fc.assert(fc.property(arb, (text) => {
      const got: [number, string][] = [];
      base64Runs(text, (start, m) => got.push([start, m]));
      expect(got).toEqual(globalMatches(re, text));
    }), { seed: 24, numRuns: 3000 });
  });

  test('IPv6: skipping the regex without two colons four hex digits apart loses no hit', () => {
    const pieces = ['::', ':', '1', 'fe80', 'db8', 'ABCD', '12345', 'g', ' ', '.', '192.168.0.1', 'Agent: ', '10:30', '::1', '2001:db8::1', 'x:', 'ABCD:', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'];
    const arb = fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((p) => p.join(''));
    fc.assert(fc.property(arb, (text) => {
      const got: Span[] = [];
      detectIp(text, got);
      const want: Span[] = [];
      for (const [re, valid] of [[IPV4, () => true], [IPV6, (m: string) => m.length > 2 && isIPv6(m)]] as const) {
        for (const [start, m] of globalMatches(re, text)) if (m.length > 0 && valid(m)) want.push({ start, end: start + m.length, entity: 'ip' });
      }
      expect(got).toEqual(want);
    }), { seed: 25, numRuns: 3000 });
    const full: Span[] = [];
    detectIp('host 2001:0db8:85a3:0000:0000:8a2e:0370:7334 up', full);
    expect(full).toEqual([{ start: 5, end: 44, entity: 'ip' }]);
  });
});

describe('the detector gates', () => {
  test('a long text has the flags one pass over its char codes gives (digits counted up to 9)', () => {
    const pieces = ['a', 'Z', '7', '@', ':', '-', '.', ' ', 'é', '王', '\ud83d\ude00', 'word ', 'x'.repeat(40)];
    const arb = fc.array(fc.constantFrom(...pieces), { minLength: 10, maxLength: 60 }).map((p) => p.join(''));
    fc.assert(fc.property(arb, (text) => {
      const want = { digits: 0, upper: false, at: false, colon: false, dash: false, dot: false };
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 48 && c <= 57) want.digits++;
        else if ((c >= 65 && c <= 90) || c > 127) want.upper = true;
        else if (c === 64) want.at = true;
        else if (c === 58) want.colon = true;
        else if (c === 45) want.dash = true;
        else if (c === 46) want.dot = true;
      }
      const got = longFlagsOf(text);
      expect(flagsOf(text)).toEqual(want);
      expect({ ...got, digits: Math.min(got.digits, 9) }).toEqual({ ...want, digits: Math.min(want.digits, 9) });
    }), { seed: 26, numRuns: 2000 });
  });
});

describe("the guard's rescan reads the whole output", () => {
  test('a name only the masked text reveals, far from any replacement, is replaced (why the rescan is not narrowed)', () => {
    // The first scan finds only the capitalised name; with it masked the text has no capital left, and
    // all-lower-case text takes listed names: the rescan finds one 390 characters away.
    const text = `Thaddeus Ruoho wrote to us about the order. ${'the parcel was late again and nobody answered the phone. '.repeat(6)}it was signed for by selma haugland at the door.`;
    const out = mustAnonymize(policyFrom({ unknown: 'scan' }), {
      method: 'POST', url: '/v1/chat', headers: { 'content-type': 'text/plain' }, body: Buffer.from(text),
    });
    expect(out.body).not.toContain('Ruoho');
    expect(out.body).not.toContain('selma haugland');
    expect(out.body).toContain('the parcel was late again');
  });
});
