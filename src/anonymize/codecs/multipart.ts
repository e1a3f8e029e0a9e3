// multipart/form-data (and multipart/mixed) over the fully buffered, bounded body: a small reader of
// RFC 7578 / RFC 2046 framing (busboy is a streaming parser for uploads; we already hold the bytes and
// need them written back, so the framing is forty lines). A part named `name` is the field `$.name`:
// a plain field (no filename and no type, or text/plain) is one string value, like a form field; any other
// part is a body of its own type, read by its codec with the rules under `$.name` (`$.meta.user.email`
// for a JSON part). A filename is scanned; part headers other than the disposition and type are dropped.
// A part no codec reads makes the whole copy unsupported_body (unless keepUnknownBodies).
import type { FieldRules } from '../json-body.js';
import { charsetOf, decodeText, isBodyFailure, utf8ContentType } from '../body-decode.js';
import { childScope, fieldValue, MAX_PARTS, rootScope, subRules, type CodecEnv, type EntityOut } from './fields.js';

const BOUNDARY = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^;\s]{1,200}))/i;
const MAX_NESTING = 2;
const NO_RULE = { states: [], rule: -1 } as const;

interface Part {
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

/** Compiled once per parameter name (the codec asks for two). */
const PARAMS = new Map<string, RegExp>();

/** A header's parameter (`name`, `filename`), quoted-string or token, unescaped. */
function param(header: string, name: string): string | undefined {
  let re = PARAMS.get(name);
  if (re === undefined) {
    re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i');
    PARAMS.set(name, re);
  }
  const m = re.exec(header);
  if (m === null) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

function quoted(v: string): string {
  return `"${v.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;
}

function split(body: Buffer, boundary: string): Part[] | string {
  const s = body.toString('latin1');
  const delim = `--${boundary}`;
  let at = s.startsWith(delim) ? 0 : s.indexOf(`\n${delim}`);
  if (at < 0) return 'no boundary line';
  if (at > 0) at += 1;
  const parts: Part[] = [];
  for (;;) {
    let p = at + delim.length;
    if (s.startsWith('--', p)) return parts;
    while (s[p] === ' ' || s[p] === '\t') p++;
    if (s[p] === '\r') p++;
    if (s[p] !== '\n') return 'a boundary line without its line end';
    p++;
    const next = s.indexOf(`\n${delim}`, p);
    if (next < 0) return 'no closing boundary';
    const end = next > p && s[next - 1] === '\r' ? next - 1 : next;
    let headEnd = s.indexOf('\r\n\r\n', p);
    let bodyStart = headEnd + 4;
    if (s.startsWith('\r\n', p)) { headEnd = p; bodyStart = p + 2; }
    else if (headEnd < 0 || headEnd > end) {
      headEnd = s.indexOf('\n\n', p);
      bodyStart = headEnd + 2;
      if (headEnd < 0 || headEnd > end) return 'a part without a blank line after its headers';
    }
    const headers = new Map<string, string>();
    // Header values as UTF-8 (browsers send non-ASCII filenames raw).
    for (const line of body.subarray(p, headEnd).toString('utf8').split(/\r?\n/)) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) return 'a broken part header';
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    parts.push({ headers, body: body.subarray(bodyStart, end) });
    if (parts.length > MAX_PARTS) return `more than ${MAX_PARTS} parts`;
    at = next + 1;
  }
}

/** The anonymized multipart body (same boundary), or undefined once run.fail says why not. */
export function anonymizeMultipart(env: CodecEnv, f: FieldRules, bytes: Buffer, contentType: string, depth: number): EntityOut | undefined {
  const run = env.run;
  const b = BOUNDARY.exec(contentType);
  const boundary = b?.[1] ?? b?.[2];
  if (boundary === undefined) { run.fail('malformed_body', 'a multipart body without a boundary'); return undefined; }
  if (depth > MAX_NESTING) { run.fail('scan_limit', `multipart nested more than ${MAX_NESTING} deep`); return undefined; }
  const parts = split(bytes, boundary);
  if (typeof parts === 'string') {
    run.fail(parts.startsWith('more than') ? 'scan_limit' : 'malformed_body', `the multipart body is malformed: ${parts}`);
    return undefined;
  }
  const root = rootScope(f);
  const out: Buffer[] = [];
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  for (const part of parts) {
    const disposition = part.headers.get('content-disposition');
    const type = part.headers.get('content-type');
    const cte = part.headers.get('content-transfer-encoding')?.toLowerCase();
    if (cte !== undefined && cte !== '7bit' && cte !== '8bit' && cte !== 'binary') {
      run.fail('unsupported_body', `a multipart part in content-transfer-encoding ${cte.slice(0, 32)}`);
      return undefined;
    }
    const name = disposition === undefined ? undefined : param(disposition, 'name');
    const filename = disposition === undefined ? undefined : param(disposition, 'filename');
    if (name !== undefined) run.guard(name);
    const scope = name === undefined ? root : childScope(f, root, name);
    const rule = scope.rule >= 0 ? f.rules[scope.rule]! : undefined;
    if (rule?.type === 'drop') continue;
    const mime = type?.split(';')[0]?.trim().toLowerCase();
    let body: Buffer;
    let partType = type;
    if ((filename === undefined && mime === undefined) || mime === 'text/plain') {
      // A plain field (or a text file): one value under its name, as in a urlencoded form (form: rules first).
      const text = decodeText(part.body, charsetOf(type));
      if (isBodyFailure(text)) { run.fail(text.reason, text.detail); return undefined; }
      const formRule = name === undefined ? undefined : env.form.rules.get(name);
      let v: string | undefined;
      if (formRule !== undefined) {
        if (formRule.type === 'keep') { run.guard(text.text); v = text.text; }
        else { const r = formRule.apply(run, text.text, name, undefined); v = r === undefined ? undefined : String(r); }
      } else {
        v = text.text === '' ? '' : fieldValue(run, f, scope, text.text, name);
      }
      if (v === undefined) continue;
      body = v === text.text && !text.transcoded ? part.body : Buffer.from(v, 'utf8');
      if (text.transcoded && type !== undefined) partType = utf8ContentType(type);
    } else {
      const inner = env.entity(env, subRules(f, scope), part.body, type, depth + 1);
      if (inner === undefined) return undefined;
      body = inner.bytes;
      if (inner.transcoded && type !== undefined) partType = utf8ContentType(type);
    }
    if (body.includes(delim)) { run.fail('error', 'an anonymized multipart part holds its boundary'); return undefined; }
    let head = '';
    if (disposition !== undefined) {
      const kind = disposition.split(';')[0]!.trim() || 'form-data';
      run.guard(kind);
      head += `Content-Disposition: ${kind}`;
      if (name !== undefined) head += `; name=${quoted(name)}`;
      if (filename !== undefined) {
        // A filename is never a path rule's target: `unknown` and the scanners read it.
        const fn = filename === '' ? '' : fieldValue(run, f, NO_RULE, filename, 'filename') ?? '';
        head += `; filename=${quoted(fn)}`;
      }
      head += '\r\n';
    }
    if (partType !== undefined) { run.guard(partType); head += `Content-Type: ${partType}\r\n`; }
    out.push(delim, Buffer.from(`\r\n${head}\r\n`, 'utf8'), body, Buffer.from('\r\n', 'latin1'));
    if (run.failure !== undefined) return undefined;
  }
  out.push(delim, Buffer.from('--\r\n', 'latin1'));
  return { bytes: Buffer.concat(out), transcoded: false };
}
