// Issue 20, findings 2 and 3: names by key (FHIR/HL7 HumanName parts, plain given/family keys), by script
// (Han, Arabic, … after the cues that work for Latin names), in lower case after a transcript's cues, and
// inside a base64url layer under a categorical key (an OAuth-style `state`).
import { describe, expect, test } from 'vitest';
import { scanText } from '../../src/anonymize/scan.js';
import { jsonRequest, mustAnonymize, policyFrom } from './helpers.js';

const persons = (t: string) => scanText(t).filter((s) => s.entity === 'person').map((s) => t.slice(s.start, s.end));
const textRequest = (body: string) => ({ method: 'POST', url: '/v1/chat', headers: { 'content-type': 'text/plain' }, body: Buffer.from(body) });

describe('names by key', () => {
  const scan = policyFrom({ unknown: 'scan' });
  const keep = policyFrom({ unknown: 'keep' });
  // Unusual names, so that no detector but the key's could find them in a structured value.
  const fhir = {
    resourceType: 'Patient', id: 'example', gender: 'female',
    name: [{ use: 'official', family: 'Wojtaszek', given: ['Xiadani', 'Bekbolat'], prefix: ['Ms.'], text: 'Xiadani Bekbolat Wojtaszek' }],
    contact: [{ name: { family: 'Quispe', given: ['Ilmarinen'] } }],
  };

  test('FHIR name[].family, name[].given[], name[].text and a contact name reach the sandbox only as pseudonyms', () => {
    const body = mustAnonymize(scan, jsonRequest(fhir)).body;
    for (const raw of ['Wojtaszek', 'Xiadani', 'Bekbolat', 'Quispe', 'Ilmarinen']) expect(body).not.toContain(raw);
    const out = JSON.parse(body) as { name: { use: string; given: string[]; family: string; text: string }[]; resourceType: string; gender: string };
    // Structure and the non-personal members stay; each part is a single name (given and family split).
    expect(out.resourceType).toBe('Patient');
    expect(out.gender).toBe('female');
    expect(out.name[0]!.use).toBe('official');
    expect(out.name[0]!.given).toHaveLength(2);
    for (const g of out.name[0]!.given) expect(g).toMatch(/^\S+$/);
    expect(out.name[0]!.family).toMatch(/^\S+$/);
    // Names are pseudonymized per token: the full text agrees with the split parts.
    expect(out.name[0]!.text).toBe(`${out.name[0]!.given.join(' ')} ${out.name[0]!.family}`);
    // The tree walker (a document nested deeper than the streaming path goes) reads the same keys.
    const deep = mustAnonymize(scan, { ...jsonRequest(fhir), body: Buffer.from(`${'['.repeat(600)}${JSON.stringify(fhir)}${']'.repeat(600)}`) }).body;
    for (const raw of ['Wojtaszek', 'Xiadani', 'Quispe']) expect(deep).not.toContain(raw);
  });

  test('plain given / family keys are names; under unknown: keep the copy is dropped, not sent raw', () => {
    const body = mustAnonymize(scan, jsonRequest({ patient: { given: 'Ilmarinen', family: 'Wojtaszek', status: 'active' } })).body;
    expect(body).not.toContain('Ilmarinen');
    expect(body).not.toContain('Wojtaszek');
    expect(body).toContain('"status":"active"');
    const kept = keep.anonymize(jsonRequest({ given: 'Ilmarinen', family: 'Wojtaszek' }));
    expect(kept.ok).toBe(false);
  });

  test('text, prefix and suffix are names only under a name; elsewhere they are ordinary keys', () => {
    const body = mustAnonymize(scan, jsonRequest({ name: { text: 'Ilmarinen Quispe', suffix: 'Wojtaszek' }, message: { text: 'order shipped', prefix: 'ORD' } })).body;
    expect(body).not.toContain('Ilmarinen');
    expect(body).not.toContain('Wojtaszek');
    expect(body).toContain('"text":"order shipped"');
    expect(body).toContain('"prefix":"ORD"');
  });
});

describe('names in scripts without capitals, and in lower case', () => {
  test('Chinese, Arabic, Japanese and Korean names after "My name is" (and after their own languages\' cues)', () => {
    expect(persons('My name is 王小明 and I need help')).toEqual(['王小明']);
    expect(persons('Hello, my name is محمد علي, I ordered twice.')).toEqual(['محمد علي']);
    expect(persons('Hi, this is 山田 太郎 from accounts')).toEqual(['山田 太郎']);
    expect(persons('my name is 김민준.')).toEqual(['김민준']);
    expect(persons('你好，我叫王小明，今年十岁。')).toEqual(['王小明']);
    expect(persons('私の名前は山田太郎です。')).toEqual(['山田太郎']);
    expect(persons('اسمي محمد علي')).toEqual(['محمد علي']);
  });

  test('Hebrew, Devanagari and Thai after the English cue; the cased scripts stay caught', () => {
    expect(persons('My name is דוד לוי and I live here')).toEqual(['דוד לוי']);
    expect(persons('My name is राहुल शर्मा.')).toEqual(['राहुल शर्मा']);
    expect(persons('My name is สมชาย ใจดี')).toEqual(['สมชาย ใจดี']);
    expect(persons('My name is Иван Петров')).toEqual(['Иван Петров']);
    expect(persons('My name is Γιώργος Παπαδόπουλος')).toEqual(['Γιώργος Παπαδόπουλος']);
    expect(persons('My name is Nguyễn Văn An')).toEqual(['Nguyễn Văn An']);
  });

  test('the names reach the sandbox only as pseudonyms', () => {
    const p = policyFrom({ unknown: 'scan' });
    const out = mustAnonymize(p, textRequest('User: My name is 王小明.\nAgent: Thanks. And yours? User: My name is محمد علي')).body;
    expect(out).not.toContain('王小明');
    expect(out).not.toContain('محمد');
  });

  test('text in those scripts without a cue is left alone', () => {
    expect(persons('我们明天见。')).toEqual([]);
    expect(persons('The word 你好 means hello')).toEqual([]);
    expect(persons('مرحبا بالعالم')).toEqual([]);
  });

  test('a lower-case full name after a transcript cue ("this is john smith", "i\'m mary jones")', () => {
    expect(persons('agent: thank you for calling, how can i help?\ncustomer: hi, this is john smith, my card was declined')).toEqual(['john smith']);
    expect(persons("i'm mary jones and i want a refund")).toEqual(['mary jones']);
    expect(persons('hello this is sarah k. okafor speaking')).toEqual(['sarah k. okafor']);
    const p = policyFrom({ unknown: 'scan' });
    const out = mustAnonymize(p, textRequest('customer: hi, this is john smith, my card was declined')).body;
    expect(out).not.toMatch(/john|smith/);
  });

  test('ordinary lower-case words after the same cues are not names', () => {
    for (const t of ['this is great, thanks', "i'm sorry to hear that", 'this is grace period stuff', 'hi all, this is bill payment help',
      'i am going home', "it's may already", 'this is los angeles calling', 'thanks mark for the tip', 'this is rose gold', 'i am mark twain fan',
      'hello world', 'this is wells fargo']) {
      expect(persons(t), t).toEqual([]);
    }
  });
});

describe('categorical keys never switch name detection off inside a decoded layer', () => {
  const p = policyFrom({ unknown: 'scan' });
  const layer = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

  test.each(['state', 'status', 'code', 'source', 'type'])('a name in base64url JSON under `%s` is replaced', (key) => {
    const value = layer({ name: 'Xiadani Wojtaszek', nonce: 'n-0a9f33', return_to: '/account' });
    const body = mustAnonymize(p, jsonRequest({ [key]: value, merchant: 'Urban Threads' })).body;
    const out = JSON.parse(body) as Record<string, string>;
    const decoded = Buffer.from(out[key]!, 'base64url').toString('utf8');
    expect(decoded).not.toContain('Xiadani');
    expect(decoded).not.toContain('Wojtaszek');
    expect(JSON.parse(decoded)).toMatchObject({ nonce: 'n-0a9f33', return_to: '/account' });
    // The categorical value outside a layer is still left alone.
    expect(out.merchant).toBe('Urban Threads');
  });

  test('an OAuth-style state in a query string and a given/family pair inside the layer', () => {
    const state = layer({ given: 'Ilmarinen', family: 'Quispe', csrf: 'c5f1e2' });
    const out = mustAnonymize(p, { method: 'GET', url: `/oauth/callback?code=abc123&state=${state}`, headers: {}, body: Buffer.alloc(0) });
    const got = new URL(out.url, 'http://x').searchParams.get('state')!;
    const decoded = Buffer.from(got, 'base64url').toString('utf8');
    expect(decoded).not.toMatch(/Ilmarinen|Quispe/);
    expect(decoded).toContain('"csrf":"c5f1e2"');
  });

  test('a lower-case or Han name under a name key inside the layer, and JSON sent as text/plain', () => {
    const value = layer({ name: 'xiadani wojtaszek', given: ['王小明'], nonce: 'n-2' });
    const out = JSON.parse(mustAnonymize(p, jsonRequest({ state: value })).body) as { state: string };
    const decoded = Buffer.from(out.state, 'base64url').toString('utf8');
    expect(decoded).not.toMatch(/xiadani|wojtaszek|王小明/);
    expect(JSON.parse(decoded)).toMatchObject({ nonce: 'n-2' });
    const text = mustAnonymize(p, textRequest('event {"customer_name": "ilmarinen quispe", "type": "signup"}')).body;
    expect(text).not.toMatch(/ilmarinen|quispe/);
    expect(text).toContain('"type": "signup"');
    // A tool, a model or a role under `name` in an API payload read as text is no name.
    expect(persons('data: {"tool_calls":[{"function":{"name":"get_weather"}}]} {"name":"assistant"} {"name":"gpt-4"}')).toEqual([]);
  });

  test('under unknown: keep a name in the layer drops the copy instead of sending it raw', () => {
    const keep = policyFrom({ unknown: 'keep' });
    const out = keep.anonymize(jsonRequest({ state: layer({ name: 'Xiadani Wojtaszek', nonce: 'n-1' }) }));
    expect(out.ok).toBe(false);
    expect(keep.anonymize(jsonRequest({ state: layer({ nonce: 'n-1', return_to: '/account' }) })).ok).toBe(true);
  });

  test('a plain categorical value is still not read for names', () => {
    const body = mustAnonymize(p, jsonRequest({ status: 'Grace Period', type: 'Rose Gold', source: 'Jack Daniels' })).body;
    expect(JSON.parse(body)).toEqual({ status: 'Grace Period', type: 'Rose Gold', source: 'Jack Daniels' });
  });
});

describe('free-text rules tuned on the presidio-synth tune half', () => {
  test('an all-lower-case text keeps its bundled names; everyday words and three-surname firms stay', () => {
    expect(persons('selma kristensen is from stillwater supercomputing inc.')).toEqual(['selma kristensen']);
    expect(persons('emidio p lombardo\nunit 1009 box 0219')).toEqual(['emidio p lombardo']);
    expect(persons('owens, duran and oneal\n\nthe corner of main street')).toEqual([]);
    expect(persons('the package will arrive on monday, please keep the receipt')).toEqual([]);
  });

  test('a word in no table with a surname ending is a name; places, firms and numbered streets are not persons', () => {
    expect(persons('This song by ex-Zombie Ahtisaari is a perfect example')).toEqual(['Ahtisaari']);
    expect(persons('Morgan Stanley is hiring analysts')).toEqual([]);
    expect(persons('The restaurant is at 214 Pavlou Drandaki')).toEqual([]);
    expect(persons('I was born in Kulusuk and studied at the University of Nicosia')).toEqual([]);
    expect(persons('Jack Costa moved to Lisbon')).toEqual(['Jack Costa']);
  });
});
