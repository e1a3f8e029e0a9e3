// Property tests (fast-check, fixed seed): random JSON documents with planted values of every entity at
// random depths, under revealing keys, innocuous keys and inside free text. None may survive in any form;
// everything non-personal must be unchanged; outputs stay valid and deterministic per key.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ibanCheckDigits, ibanValid, luhnCheckDigit, luhnValid } from '../../src/anonymize/checksums.js';
import { AMBIGUOUS_NAMES, FIRST_NAME_LIST, SURNAME_LIST } from '../../src/anonymize/data/names.js';
import { TEST_KEY, jsonRequest, mustAnonymize, policyFrom } from './helpers.js';

type Kind = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'ip' | 'name';
const REVEALING: Record<Kind, string> = {
  email: 'email', phone: 'phone_number', card: 'card_number', iban: 'iban', ssn: 'ssn', ip: 'ip_address', name: 'full_name',
};
const INNOCUOUS_KEYS = ['alpha', 'beta', 'items', 'meta', 'model', 'score', 'tags', 'data', 'value', 'info', 'group', 'level', 'kind', 'extra'];
const WORDS = ['premium', 'mobile', 'blue', 'v2', 'ok', 'fast', 'north', 'basic', 'gold', 'stable', 'beta-7', 'yes'];

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const plainName = (n: string) => /^[A-Z][a-z]{2,}$/.test(n) && !AMBIGUOUS_NAMES.has(n.toLowerCase());
const FIRST = FIRST_NAME_LIST.filter(plainName);
const LAST = SURNAME_LIST.filter(plainName);

const arbValue: Record<Kind, fc.Arbitrary<string>> = {
  email: fc.tuple(fc.stringMatching(/^[a-z]{5,10}$/), fc.stringMatching(/^[a-z]{4,10}$/), fc.constantFrom('com', 'io', 'de', 'org'))
    .map(([l, d, t]) => `${l}.${l.length}@${d}.${t}`),
  phone: fc.oneof(
    fc.tuple(fc.integer({ min: 2, max: 9 }), digits(2), digits(3), digits(4)).map(([a, b, c, d]) => `+1-${a}${b}-${c}-${d}`),
    digits(6).map((d) => `+44 7700 ${d}`),
    digits(7).map((d) => `+49 30 ${d}`),
    fc.tuple(digits(2), digits(2), digits(2), digits(2)).map(([a, b, c, d]) => `+33 1 ${a} ${b} ${c} ${d}`),
    fc.tuple(digits(4), digits(5)).map(([a, b]) => `+91 9${a} ${b}`),
    fc.tuple(digits(4), digits(4)).map(([a, b]) => `+55 11 9${a}-${b}`),
  ),
  // A Visa or Mastercard prefix: a card needs its network's IIN (issue 20), not only Luhn.
  card: fc.tuple(fc.constantFrom('4', '51', '55', '2221'), digits(14), fc.boolean()).map(([p, d, spaced]) => {
    const body = (p + d).slice(0, 15);
    const n = body + luhnCheckDigit(body);
    return spaced ? n.replace(/(\d{4})(?=\d)/g, '$1 ') : n;
  }),
  iban: digits(18).map((b) => `DE${ibanCheckDigits('DE', b)}${b}`),
  ssn: fc.tuple(fc.integer({ min: 100, max: 665 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 }))
    .filter(([a, g, s]) => !/^(\d)\1+$/.test(`${a}${g}${s}`))
    .map(([a, g, s]) => `${a}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`),
  ip: fc.tuple(fc.integer({ min: 11, max: 90 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
    .map((o) => o.join('.')),
  name: fc.tuple(fc.constantFrom(...FIRST), fc.constantFrom(...LAST)).map(([f, l]) => `${f} ${l}`),
};

interface Plant { kind: Kind; value: string; placement: 'revealing' | 'innocuous' | 'text'; path: string[] }

const arbPlant: fc.Arbitrary<Plant> = fc.constantFrom<Kind>('email', 'phone', 'card', 'iban', 'ssn', 'ip', 'name')
  .chain((kind) => fc.record({
    kind: fc.constant(kind),
    value: arbValue[kind],
    placement: kind === 'name' ? fc.constantFrom('revealing' as const, 'text' as const) : fc.constantFrom('revealing' as const, 'innocuous' as const, 'text' as const),
    path: fc.array(fc.constantFrom(...INNOCUOUS_KEYS), { maxLength: 4 }),
  }));

const arbLeaf = fc.oneof(fc.constantFrom(...WORDS), fc.integer({ min: -1000, max: 1_000_000 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.boolean(), fc.constant(null));
const { doc: arbDoc } = fc.letrec((tie) => ({
  doc: fc.dictionary(fc.constantFrom(...INNOCUOUS_KEYS), tie('node'), { maxKeys: 5 }),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, arbLeaf, fc.array(tie('node'), { maxLength: 4 }), tie('doc')),
}));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Puts each plant at its own fresh key under its path; returns where it went. */
function plant(doc: Record<string, Json>, plants: Plant[]): { path: string[]; leaf: string; plant: Plant }[] {
  return plants.map((p, i) => {
    let node = doc;
    const path: string[] = [];
    for (const [j, k] of p.path.entries()) {
      const key = `${k}_p${i}_${j}`;
      node[key] = {};
      node = node[key] as Record<string, Json>;
      path.push(key);
    }
    const leaf = p.placement === 'revealing' ? REVEALING[p.kind] : p.placement === 'innocuous' ? `field${i}` : `note${i}`;
    node[leaf] = p.placement === 'text' ? `please contact ${p.value} today` : p.value;
    return { path, leaf, plant: p };
  });
}

function at(doc: Json, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const k of path) cur = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur[k] : undefined;
  return cur;
}

/** Same keys, same array lengths, same leaves, except at the planted leaves (which must stay strings). */
function sameShape(input: Json, output: Json, planted: Set<string>, here = ''): void {
  if (Array.isArray(input)) {
    expect(Array.isArray(output) && output.length).toBe(input.length);
    input.forEach((v, i) => sameShape(v, (output as Json[])[i]!, planted, `${here}[${i}]`));
  } else if (input !== null && typeof input === 'object') {
    expect(Object.keys(output as object)).toEqual(Object.keys(input));
    for (const [k, v] of Object.entries(input)) sameShape(v, (output as Record<string, Json>)[k]!, planted, `${here}.${k}`);
  } else if (planted.has(here)) {
    expect(typeof output).toBe('string');
  } else {
    expect(output).toEqual(input);
  }
}

function stillValid(kind: Kind, original: string, out: string): void {
  switch (kind) {
    case 'email': expect(out).toMatch(/^[a-z2-7]{10}@[a-z0-9.-]+\.[a-z]{2,}$/); break;
    case 'card': expect(luhnValid(out.replace(/\D/g, ''))).toBe(true); break;
    case 'iban': expect(ibanValid(out.replace(/\s/g, '').toUpperCase())).toBe(true); break;
    case 'phone': expect(out.replace(/\D/g, '').length).toBe(original.replace(/\D/g, '').length); break;
    case 'ssn': expect(out).toMatch(/^9\d\d-\d\d-\d{4}$/); break;
    case 'ip': expect(out).toMatch(/^\d+\.\d+\.\d+\.\d+$/); break;
    case 'name': expect(out).toMatch(/^\p{Lu}\S+ \p{Lu}\S+$/u); break;
  }
}

describe('anonymization properties', () => {
  const policy = policyFrom({});
  const otherKey = policyFrom({}, {}, `${TEST_KEY}-rotated`);

  test('planted personal values never survive; everything else is unchanged; outputs validate; deterministic per key', () => {
    fc.assert(fc.property(arbDoc, fc.array(arbPlant, { minLength: 1, maxLength: 6 }), (base, plants) => {
      const doc = structuredClone(base) as Record<string, Json>;
      const placed = plant(doc, plants);
      const req = jsonRequest(doc);
      const out = mustAnonymize(policy, req);
      const text = out.body;
      const lower = text.toLowerCase();
      for (const { plant: p } of placed) {
        expect(text).not.toContain(p.value);
        expect(lower).not.toContain(p.value.toLowerCase());
        expect(text).not.toContain(encodeURIComponent(p.value));
        const d = p.value.replace(/\D/g, '');
        if (d.length >= 9) expect(text).not.toContain(d);
      }
      const parsed = JSON.parse(text) as Json;
      sameShape(doc, parsed, new Set(placed.map((x) => `${x.path.map((k) => `.${k}`).join('')}.${x.leaf}`)));
      for (const { path, leaf, plant: p } of placed) {
        const v = at(parsed, [...path, leaf]);
        expect(typeof v).toBe('string');
        const s = v as string;
        const inner = p.placement === 'text' ? s.slice('please contact '.length, s.length - ' today'.length) : s;
        if (p.placement === 'text') expect(s.startsWith('please contact ') && s.endsWith(' today')).toBe(true);
        stillValid(p.kind, p.value, inner);
      }
      expect(mustAnonymize(policy, jsonRequest(doc)).body).toBe(text);
      expect(mustAnonymize(otherKey, jsonRequest(doc)).body).not.toBe(text);
    }), { seed: 20261127, numRuns: 300 });
  });
});
