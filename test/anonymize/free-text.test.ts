// Free-text detection of person names and street addresses: recall and precision on sentences written for
// these tests (fixtures/free-text.json), the levers one by one (word tables, context cues, list neighbours,
// the address grammar) and their look-alikes, and linear work on pathological inputs.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { detectAddress } from '../../src/anonymize/detectors/address.js';
import { detectPerson } from '../../src/anonymize/detectors/person.js';
import type { Span } from '../../src/anonymize/detectors/types.js';
import { scanText } from '../../src/anonymize/scan.js';

interface Sample { text: string; persons: string[]; addresses: string[] }
const samples = (JSON.parse(readFileSync(new URL('./fixtures/free-text.json', import.meta.url), 'utf8')) as { samples: Sample[] }).samples;

const of = (entity: 'person' | 'address', t: string) => scanText(t).filter((s) => s.entity === entity).map((s) => t.slice(s.start, s.end));
const persons = (t: string) => of('person', t);
const addresses = (t: string) => of('address', t);

/** Span-overlap recall and precision of one entity over the fixture sentences. */
function score(entity: 'person' | 'address'): { recall: number; precision: number; support: number } {
  let support = 0; let found = 0; let detected = 0; let truePos = 0;
  for (const s of samples) {
    const gold = (entity === 'person' ? s.persons : s.addresses).map((v) => {
      const start = s.text.indexOf(v);
      if (start < 0) throw new Error(`fixture: ${JSON.stringify(v)} is not in ${JSON.stringify(s.text)}`);
      return [start, start + v.length] as const;
    });
    const spans = scanText(s.text).filter((p) => p.entity === entity);
    for (const [a, b] of gold) { support++; if (spans.some((p) => p.start < b && a < p.end)) found++; }
    for (const p of spans) { detected++; if (gold.some(([a, b]) => p.start < b && a < p.end)) truePos++; }
  }
  return { recall: found / support, precision: detected === 0 ? 0 : truePos / detected, support };
}

describe('free text: recall and precision on the fixture sentences', () => {
  test('person names: recall and precision at least 0.85', () => {
    const s = score('person');
    expect(s.support).toBeGreaterThanOrEqual(30);
    expect(s.recall).toBeGreaterThanOrEqual(0.85);
    expect(s.precision).toBeGreaterThanOrEqual(0.85);
  });

  test('street addresses: recall and precision at least 0.85', () => {
    const s = score('address');
    expect(s.support).toBeGreaterThanOrEqual(15);
    expect(s.recall).toBeGreaterThanOrEqual(0.85);
    expect(s.precision).toBeGreaterThanOrEqual(0.85);
  });
});

describe('person names: the levers', () => {
  test('a name from the people-names data package, in no bundled list', () => {
    expect(persons('Ask Leimbach about the invoice.')).toEqual(['Leimbach']);
    expect(persons('The invoice went to Delafuente yesterday.')).toEqual(['Delafuente']);
  });

  test('two words in no table make a name, unless a place preposition comes before them', () => {
    expect(persons('The form was signed by Ifeoma Chukwudi yesterday.')).toEqual(['Ifeoma Chukwudi']);
    expect(persons('Dilnoza Karimova signed it.')).toEqual(['Dilnoza Karimova']);
    expect(persons('We flew in from Ouagadougou Quxwerty yesterday.')).toEqual([]);
  });

  test('a verb of a person after the name, and a transcript speaker', () => {
    expect(persons('Bekzod explained the fees to the new clients.')).toEqual(['Bekzod']);
    expect(persons('Halvard: Did you get the invoice?\nPetra: Yes.')).toEqual(['Halvard', 'Petra']);
  });

  test('the neighbours of a name in a list are names', () => {
    expect(persons('We invited Bekzod, Dilnoza, Maria and Farrukh to the launch.')).toEqual(['Bekzod', 'Dilnoza', 'Maria', 'Farrukh']);
  });

  test('lower-case text after "my name is"', () => {
    expect(persons('hi, my name is dagny haugland and i lost my card')).toEqual(['dagny haugland']);
    expect(persons('follow up with ana p lima next week')).toEqual(['ana p lima']);
  });

  test('everyday words, places, days and firms are not names', () => {
    expect(persons('How do I check my balance on Sunday?')).toEqual([]);
    expect(persons('You said your email changed, can I help?')).toEqual([]);
    expect(persons("I'm glad to hear that Germany is moving in that direction.")).toEqual([]);
    expect(persons('I will be travelling to Canada next week.')).toEqual([]);
    expect(persons('Hartley, Pruitt and Vance is a design agency.')).toEqual([]);
    expect(persons('She worked at Crandall Ltd. before.')).toEqual([]);
    expect(persons('The Pemberton Orchestra was founded in 1961.')).toEqual([]);
    expect(persons('They returned to Villanueva del Río by helicopter.')).toEqual([]);
  });
});

describe('street addresses: the grammar', () => {
  test('a street word as suffix, as prefix and as a word of its own, before the house number', () => {
    expect(addresses('She lives at Mannerheimintie 14 and works nearby.')).toEqual(['Mannerheimintie 14']);
    expect(addresses('We met at Vicolo dei Mercanti 9 in the old town.')).toEqual(['Vicolo dei Mercanti 9']);
    expect(addresses('The shop is on Kossuth Lajos utca 21. in Szeged.')).toEqual(['Kossuth Lajos utca 21.']);
    expect(addresses('He gave me his address: 48334 36 rue de Pologne, Tunis')).toEqual(['48334 36 rue de Pologne, Tunis']);
  });

  test('a leading building number and the lines that follow belong to the address', () => {
    expect(addresses('Billing address:\n77215 918 Larchmont Avenue\nSuite 300\nDenver\nUnited States 80202'))
      .toEqual(['77215 918 Larchmont Avenue\nSuite 300\nDenver\nUnited States 80202']);
    expect(addresses('Deliver to ul. Kwiatowa 7\nWarszawa\nPoland 00-950')).toEqual(['ul. Kwiatowa 7\nWarszawa\nPoland 00-950']);
  });

  test('US military mail', () => {
    expect(addresses('Mail goes to USNS Harkness\nFPO AE 09512')).toEqual(['USNS Harkness\nFPO AE 09512']);
    expect(addresses('Write to PSC 4120, Box 8817\nAPO AA 34021 until June.')).toEqual(['PSC 4120, Box 8817\nAPO AA 34021']);
  });

  test('a name and a number after "on" or "at" end a clause; a street type names a street without a number', () => {
    expect(addresses('The bus stops at Hoge Wei 32 St. every hour')).toEqual(['Hoge Wei 32 St.']);
    expect(addresses('Room 4 is on Marina Fort Street, second floor')).toEqual(['Marina Fort Street']);
  });

  test('numbers after everyday words, days and years are no addresses', () => {
    expect(addresses('During 1998, the company doubled its sales.')).toEqual([]);
    expect(addresses('It runs on Windows 10, so the update is free.')).toEqual([]);
    expect(addresses('The meeting is on Monday 12 at the usual place.')).toEqual([]);
    expect(addresses('We sold 20 songs for 15 dollars in Chapter 11.')).toEqual([]);
    expect(addresses('card 4539 1488 0343 6467 and phone 0341 838 7176')).toEqual([]);
  });
});

describe('free-text detectors: linear work', () => {
  // CPU time of the cheapest of five runs, for an input and for ten times that input: a super-linear detector
  // (a backtracking regex, a quadratic merge) would take about a hundred times as long, a linear one ten.
  const cpu = (f: () => void) => {
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const c0 = process.cpuUsage();
      f();
      const c = process.cpuUsage(c0);
      best = Math.min(best, c.user + c.system);
    }
    return best;
  };
  const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

  test.each([
    ['capitalised names', 'Anna Kowalska '], ['unlisted capitalised words', 'Xqzvb Yrtwq '], ['firm triples', 'Jones, Smith and '],
    ['list joiners', 'Bekzod, '], ['cues', 'my name is '], ['speakers', 'Halvard: \n'], ['house numbers', '12 Main '],
    ['suffixed streets', 'Koskikatu 1 '], ['unit lines', 'Apt. 1\n'], ['address lines', 'Apt 12\nDenver\n'],
    ['repeated names', 'Thaddeus Ruoho said Ruoho '], ['distinct found names', 'songwriter Xqzv. '], ['role cues and emails', 'Ruoho at r@x.io, who '],
    ['on + name + number', 'on Xq 12, '], ['digit groups', '1 '], ['military', 'USNS Xy\nFPO AE 12345\n'],
  ])('%s: ten times the input costs at most forty times the CPU time (linear: 10, super-linear: ~100)', (_name, unit) => {
    const small = fill(unit, 20_000);
    const large = fill(unit, 200_000);
    const run = (t: string) => () => { const out: Span[] = []; detectPerson(t, out); detectAddress(t, out); };
    run(small)(); // warm up
    const ratio = cpu(run(large)) / Math.max(1, cpu(run(small)));
    expect(ratio).toBeLessThan(40);
  });
});
