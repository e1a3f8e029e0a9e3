// The growing corpus (issue 20): formats × entities × encodings, property-based (fast-check, fixed seed).
// Each run writes one record holding a fresh value of every entity (corpus/entities.ts) — under its
// revealing key in formats with fields, and in its sentence as free text — in one body format
// (corpus/formats.ts), in a charset and a content coding, and checks that no planted value survives in
// any view of the anonymized output and that the output is the same format with the same shape.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import type { RawRequest } from '../../src/exchange.js';
import { ENTITIES } from './corpus/entities.js';
import { FORMATS, type Field, type FormatSpec } from './corpus/formats.js';
import { policyFrom } from './helpers.js';

// An operator's strict policy (a rule for every revealing key, anywhere), and `unknown: scan` alone.
const POLICIES = {
  strict: policyFrom({ headers: { keep: ['content-type'] }, fields: Object.fromEntries(ENTITIES.flatMap((e) => (e.rule === undefined ? [] : [[`$..${e.key}`, e.rule]]))), unknown: 'scan' }),
  scan: policyFrom({ headers: { keep: ['content-type'] }, unknown: 'scan' }),
};

type Charset = 'utf-8' | 'utf-16le' | 'latin1';

function fieldsOf(format: FormatSpec, values: readonly string[]): Field[] {
  const fields: Field[] = [];
  ENTITIES.forEach((e, i) => {
    if (format.keyed) fields.push({ key: e.key, value: values[i]! });
    if (e.sentence !== undefined) fields.push({ key: `comment${i}`, value: e.sentence(values[i]!) });
  });
  return fields;
}

function request(format: FormatSpec, text: string, charset: Charset, gzip: boolean): RawRequest {
  const headers: Record<string, string> = {};
  let body = charset === 'utf-16le' ? Buffer.from(text, 'utf16le') : Buffer.from(text, charset === 'latin1' ? 'latin1' : 'utf8');
  if (format.contentType !== undefined) headers['content-type'] = charset === 'utf-8' ? format.contentType : `${format.contentType.split(';')[0]!}; charset=${charset === 'latin1' ? 'iso-8859-1' : 'utf-16le'}`;
  if (gzip) { body = gzipSync(body); headers['content-encoding'] = 'gzip'; }
  return { method: 'POST', url: '/corpus', headers, body };
}

describe.each(FORMATS.flatMap((f) => (['strict', 'scan'] as const).map((p) => [f.name, p, f] as const)))('corpus: %s under the %s policy', (_name, policy, format) => {
  test('no planted value of any entity survives, in any charset or coding; the output is the same format', () => {
    // Without a content type there is no charset to name (sniffed as UTF-8); multipart parts name their own.
    const charsets: Charset[] = format.contentType === undefined || format.name === 'multipart' ? ['utf-8'] : ['utf-8', 'utf-16le', 'latin1'];
    fc.assert(fc.property(
      fc.tuple(...ENTITIES.map((e) => e.value)), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom(...charsets), fc.boolean(),
      (values, seed, charset, gzip) => {
        const fields = fieldsOf(format, values);
        const text = format.render(fields, seed);
        // Latin-1 cannot carry every name: those runs are UTF-8.
        const cs = charset === 'latin1' && !/^[\u0000-\u00ff]*$/.test(text) ? 'utf-8' : charset;
        const out = POLICIES[policy].anonymize(request(format, text, cs, gzip));
        if (!out.ok) throw new Error(`dropped: ${out.reason}: ${out.detail}`);
        const body = out.request.body.toString('utf8');
        expect(body.length).toBeGreaterThan(0);
        const views = format.views(body).map((v) => v.toLowerCase());
        ENTITIES.forEach((e, i) => {
          if (!format.keyed && e.sentence === undefined) return;
          for (const raw of e.forbidden?.(values[i]!) ?? [values[i]!]) {
            for (const view of views) expect(view, `${e.entity} ${raw} in ${format.name}`).not.toContain(raw.toLowerCase());
          }
        });
        format.check(body, text);
      },
    ), { seed: 20, numRuns: 25 });
  });
});
