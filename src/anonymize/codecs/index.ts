// The codec layer: one codec per body format, chosen by the content type (sniffed from the bytes when
// there is none), each decoding the body to fields with paths and text spans, letting the same policy
// act on them, and writing back the same format. Deny by default: a body no codec reads is never sent
// stripped — the copy is dropped with a counted reason (unsupported_body, malformed_body, scan_limit),
// unless keepUnknownBodies keeps an opaque body whole under the byte-level leak guard. docs/formats.md.
import { byteViews, charsetOf, decodeText, isBodyFailure } from '../body-decode.js';
import { anonymizeJson, type FieldRules } from '../json-body.js';
import { rewriteJson } from '../json-stream.js';
import { anonymizePairs } from '../pairs.js';
import type { Run } from '../run.js';
import { anonymizeCsv } from './csv.js';
import { freeText, MAX_NODES, type CodecEnv, type EntityOut } from './fields.js';
import { anonymizeMarkup } from './markup.js';
import { anonymizeMultipart } from './multipart.js';
import { anonymizeYaml } from './yaml.js';

export type { CodecEnv, EntityOut } from './fields.js';

export type CodecName = 'json' | 'ndjson' | 'json-seq' | 'form' | 'multipart' | 'xml' | 'html' | 'csv' | 'tsv' | 'yaml' | 'text';

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json$/;
const XML_TYPE = /^(?:application|text)\/(?:[\w.+-]*\+)?xml$/;
const YAML_TYPE = /^(?:application|text)\/(?:x-)?(?:[\w.+-]*\+)?yaml$/;
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonl',
  'application/jsonlines', 'application/x-jsonlines', 'application/json-lines', 'text/x-ndjson', 'application/stream+json']);
const TEXT_TYPES = new Set(['application/javascript', 'application/ecmascript', 'application/graphql', 'application/sql']);

/** The codec for a media type (lower-case, no parameters), or undefined when none reads it. */
export function codecOf(mime: string): CodecName | undefined {
  if (NDJSON_TYPES.has(mime)) return 'ndjson';
  if (mime === 'application/json-seq') return 'json-seq';
  if (JSON_TYPE.test(mime)) return 'json';
  if (mime === 'application/x-www-form-urlencoded') return 'form';
  if (mime.startsWith('multipart/')) return 'multipart';
  if (mime === 'text/html') return 'html';
  if (XML_TYPE.test(mime)) return 'xml';
  if (YAML_TYPE.test(mime)) return 'yaml';
  if (mime === 'text/csv' || mime === 'application/csv') return 'csv';
  if (mime === 'text/tab-separated-values' || mime === 'text/tsv') return 'tsv';
  if (mime.startsWith('text/') || TEXT_TYPES.has(mime)) return 'text';
  return undefined;
}

// C0 controls other than tab, line feed, form feed and carriage return: bytes, not text.
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;

/** A body without a content type: its codec by its first characters, or undefined when it is not text. */
export function sniff(text: string): CodecName | undefined {
  if (CONTROL.test(text.slice(0, 4096))) return undefined;
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    // Without a content type JSON must prove itself: a log line starting with `[` is text.
    try { JSON.parse(t); return 'json'; } catch { /* not one document */ }
    const nl = t.indexOf('\n');
    try { if (nl > 0) { JSON.parse(t.slice(0, nl)); return 'ndjson'; } } catch { /* not JSON lines */ }
    return 'text';
  }
  if (t.startsWith('<')) return /^<\?xml/i.test(t) ? 'xml' : 'html';
  return 'text';
}

/** One JSON document: the streaming rewriter, the tree walker for what it refuses; invalid JSON is malformed_body. */
function json(run: Run, f: FieldRules, text: string): string | undefined {
  const mark = run.checkpoint();
  const out = rewriteJson(run, f, text);
  if (out !== undefined) return out;
  run.restore(mark);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    run.fail('malformed_body', 'the JSON body is not valid JSON');
    return undefined;
  }
  return JSON.stringify(anonymizeJson(run, f, doc));
}

/**
 * NDJSON / JSON lines (each line a document, `$` its root) and JSON text sequences (RFC 7464: records
 * after RS). Blank lines and separators are kept as written.
 */
function records(run: Run, f: FieldRules, text: string, sep: string): string | undefined {
  const lines = text.split(sep);
  if (lines.length > MAX_NODES) { run.fail('scan_limit', `more than ${MAX_NODES} records`); return undefined; }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const start = line.length - line.trimStart().length;
    const end = line.trimEnd().length;
    if (end <= start) continue;
    const out = json(run, f, line.slice(start, end));
    if (out === undefined) return undefined;
    lines[i] = line.slice(0, start) + out + line.slice(end);
  }
  return lines.join(sep);
}

function textCodec(env: CodecEnv, f: FieldRules, codec: CodecName, text: string): string | undefined {
  const run = env.run;
  switch (codec) {
    case 'json': return json(run, f, text);
    case 'ndjson': return records(run, f, text, '\n');
    case 'json-seq': return records(run, f, text, '\u001e');
    case 'form': return anonymizePairs(run, env.form, text, 'malformed_body');
    case 'xml': return anonymizeMarkup(run, f, text, false);
    case 'html': return anonymizeMarkup(run, f, text, true);
    case 'csv': return anonymizeCsv(run, f, text, ',');
    case 'tsv': return anonymizeCsv(run, f, text, '\t');
    case 'yaml': return anonymizeYaml(run, f, text);
    default: return freeText(run, f.unknown, text);
  }
}

/**
 * One decoded (identity-coded) body or multipart part: its codec by content type (sniffed when absent),
 * the anonymized bytes in UTF-8, or undefined once run.fail says why the copy cannot be sent.
 */
export function anonymizeEntity(env: CodecEnv, f: FieldRules, bytes: Buffer, contentType: string | undefined, depth: number): EntityOut | undefined {
  const run = env.run;
  if (bytes.length === 0) return { bytes, transcoded: false };
  const mime = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  let codec = mime === '' ? undefined : codecOf(mime);
  if (codec === 'multipart') return anonymizeMultipart(env, f, bytes, contentType!, depth);
  const opaque = (): EntityOut | undefined => {
    if (env.keepUnknownBodies) {
      for (const view of byteViews(bytes)) run.guardLong(view);
      return { bytes, transcoded: false };
    }
    run.fail('unsupported_body', mime === '' ? 'a body without a content type that is not text' : `no codec reads ${mime.slice(0, 64)}`);
    return undefined;
  };
  if (mime !== '' && codec === undefined) return opaque();
  const text = decodeText(bytes, charsetOf(contentType));
  if (isBodyFailure(text)) {
    if (mime === '') return opaque();
    run.fail(text.reason, text.detail);
    return undefined;
  }
  // Whitespace holds nothing to anonymize: sent as it came.
  if (text.text.trim() === '') return { bytes, transcoded: false };
  codec ??= sniff(text.text);
  if (codec === undefined) return opaque();
  const out = textCodec(env, f, codec, text.text);
  if (out === undefined || run.failure !== undefined) {
    if (run.failure === undefined) run.fail('error', `the ${codec} codec gave no output`);
    return undefined;
  }
  if (out.length === 0) {
    run.fail('policy_drops_body', `the policy leaves nothing of the ${codec} body (unknown: ${f.unknown})`);
    return undefined;
  }
  return { bytes: !text.transcoded && out === text.text ? bytes : Buffer.from(out, 'utf8'), transcoded: text.transcoded };
}
