// The corpus's entity table (issue 20: "the corpus grows with the product"): one line per entity — how
// raw values are generated, the key that names it in a structured document, the sentence that carries it
// in free text, and the forms that must never reach the sandbox. Every codec (formats.ts) must pass every
// entry (corpus.test.ts): a new entity is one line here, a new format one entry there.
import fc from 'fast-check';
import { ibanCheckDigits, luhnCheckDigit } from '../../../src/anonymize/checksums.js';
import { FIRST_NAME_LIST, SURNAME_LIST } from '../../../src/anonymize/data/names.js';

export interface EntitySpec {
  readonly entity: string;
  /** Raw values, as a person would type them. */
  readonly value: fc.Arbitrary<string>;
  /** The field name that reveals it in JSON, XML, CSV, YAML, form and multipart bodies. */
  readonly key: string;
  /** The value in free text (HTML, plain text, a note field), or undefined when only its key reveals it. */
  readonly sentence?: (v: string) => string;
  /** The transform an operator's strict policy names it with (`$..<key>: <rule>`); none: left to `unknown: scan`. */
  readonly rule?: string;
  /** What must not appear in the output, compared lower-cased (default: the value itself). */
  readonly forbidden?: (v: string) => string[];
}

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const onlyDigits = (v: string) => [v, v.replace(/\D/g, '')];

export const ENTITIES: readonly EntitySpec[] = [
  { entity: 'email', key: 'email', rule: 'email', sentence: (v) => `Write to ${v} today.`,
    value: fc.tuple(fc.stringMatching(/^[a-z]{4,9}$/), fc.stringMatching(/^[a-z]{4,9}$/), fc.constantFrom('com', 'io', 'de', 'org')).map(([l, d, t]) => `${l}.${l.length}@${d}.${t}`) },
  { entity: 'card', key: 'card_number', rule: 'card', sentence: (v) => `Card ${v} was charged.`, forbidden: onlyDigits,
    value: fc.tuple(fc.constantFrom('4', '51', '52', '55'), digits(14)).map(([p, d]) => { const b = (p + d).slice(0, 15); return b + luhnCheckDigit(b); }) },
  { entity: 'phone', key: 'phone', rule: 'phone', sentence: (v) => `Call me on ${v} please.`, forbidden: (v) => [v, v.replace(/\D/g, '').slice(1)],
    value: fc.tuple(fc.integer({ min: 2, max: 9 }), digits(2), fc.integer({ min: 2, max: 9 }), digits(6)).map(([a, b, c, d]) => `+1 ${a}${b} ${c}${d.slice(0, 2)} ${d.slice(2)}`) },
  { entity: 'iban', key: 'iban', rule: 'iban', sentence: (v) => `Pay to ${v} by Friday.`, forbidden: (v) => [v, v.replace(/\s/g, '')],
    value: digits(18).map((b) => `DE${ibanCheckDigits('DE', b)}${b}`) },
  { entity: 'ssn', key: 'ssn', rule: 'ssn', sentence: (v) => `My SSN is ${v}.`,
    value: fc.tuple(fc.integer({ min: 100, max: 665 }), fc.integer({ min: 10, max: 99 }), fc.integer({ min: 1000, max: 9999 })).map(([a, g, s]) => `${a}-${g}-${s}`) },
  { entity: 'person', key: 'full_name', rule: 'name', sentence: (v) => `Hello, my name is ${v} and I need help.`,
    value: fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 })).map(([f, l]) => `${FIRST_NAME_LIST[f]!} ${SURNAME_LIST[l]!}`) },
  { entity: 'dob', key: 'date_of_birth', rule: 'year',
    value: fc.date({ min: new Date('1930-01-01'), max: new Date('2010-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) },
  { entity: 'address', key: 'address', rule: 'redact', forbidden: (v) => [v, v.split(' ').slice(1, 3).join(' ')],
    value: fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('Baker', 'Elm', 'Harbour', 'Kingsway', 'Maple'), fc.constantFrom('Street', 'Road', 'Avenue', 'Lane')).map(([n, s, t]) => `${n} ${s} ${t}`) },
];
