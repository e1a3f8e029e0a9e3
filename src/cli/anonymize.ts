// `shadowgate anonymize` and `shadowgate keygen`: stream dataset records (JSONL) through a policy with
// bounded memory (one line at a time, capped), drop records whose sandbox responses leak, count per entity.
import { decodeBody, encodeBody } from '../dataset/record.js';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Config } from '../config/schema.js';
import { createAnonymizer, generateKey, type CompiledPolicy } from '../anonymize/index.js';
import { ShadowgateError } from '../errors.js';

export interface AnonymizeCliOptions {
  config: Config;
  policy: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  strict: boolean;
  /** Longest accepted line; longer lines are reported as malformed and skipped. */
  maxLineBytes?: number;
}

const DEFAULT_MAX_LINE = 16 * 1024 * 1024;

/** Complete lines from a byte stream, never holding more than maxLineBytes of one line. */
async function* lines(input: NodeJS.ReadableStream, maxLineBytes: number): AsyncGenerator<{ no: number; text: string | undefined }> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let no = 0;
  for await (const raw of input) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10)) {
      no++;
      const piece = chunk.subarray(0, nl);
      const over = tooLong || size + piece.length > maxLineBytes;
      yield { no, text: over ? undefined : Buffer.concat([...parts, piece]).toString('utf8') };
      parts = [];
      size = 0;
      tooLong = false;
      chunk = chunk.subarray(nl + 1);
    }
    if (chunk.length > 0 && !tooLong) {
      if (size + chunk.length > maxLineBytes) { tooLong = true; parts = []; size = 0; }
      else { parts.push(Buffer.from(chunk)); size += chunk.length; }
    }
  }
  if (size > 0 || tooLong) yield { no: no + 1, text: tooLong ? undefined : Buffer.concat(parts).toString('utf8') };
}

interface RecordShape {
  v: 1;
  ts?: unknown;
  route?: unknown;
  request: { method: string; path: string; headers: Record<string, string>; body: string; bodyEncoding?: 'base64' };
  responses?: Record<string, { body?: unknown } & Record<string, unknown>>;
}

/** The record, or why it is malformed (never quoting its content). */
function parseRecord(text: string): RecordShape | string {
  let rec: unknown;
  try { rec = JSON.parse(text); } catch { return 'not valid JSON'; }
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return 'not a JSON object';
  const r = rec as Record<string, unknown>;
  if (r.v !== 1) return 'unsupported or missing version "v" (expected 1)';
  const req = r.request as Record<string, unknown> | undefined;
  if (req === null || typeof req !== 'object') return 'missing "request" object';
  if (typeof req.method !== 'string' || typeof req.path !== 'string') return 'request needs string "method" and "path"';
  if (req.body !== undefined && typeof req.body !== 'string') return 'request "body" must be a string';
  if (req.bodyEncoding !== undefined && req.bodyEncoding !== 'base64') return 'request "bodyEncoding" must be "base64" when present';
  const headers = req.headers ?? {};
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers) ||
    Object.values(headers).some((v) => typeof v !== 'string')) return 'request "headers" must map names to strings';
  if (r.responses !== undefined && (r.responses === null || typeof r.responses !== 'object' || Array.isArray(r.responses))) return '"responses" must be an object';
  return {
    ...r,
    v: 1,
    request: {
      method: req.method, path: req.path, headers: headers as Record<string, string>, body: (req.body as string | undefined) ?? '',
      ...(req.bodyEncoding === 'base64' ? { bodyEncoding: 'base64' as const } : {}),
    },
  } as RecordShape;
}

function anonymizeRecord(policy: CompiledPolicy, rec: RecordShape, totals: Map<string, number>): { line: string } | { drop: string } {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec.request.headers)) headers[k.toLowerCase()] = v;
  const body = decodeBody(rec.request.body, rec.request.bodyEncoding);
  // Records carry JSON text without a content type often enough: sniff it rather than drop the body.
  if (headers['content-type'] === undefined && /^\s*[[{]/.test(rec.request.body)) headers['content-type'] = 'application/json';
  const outcome = policy.anonymize({ method: rec.request.method, url: rec.request.path, headers, body });
  if (!outcome.ok) return { drop: outcome.reason };
  for (const [role, resp] of Object.entries(rec.responses ?? {})) {
    const text = typeof resp?.body === 'string'
      ? (resp.bodyEncoding === 'base64' ? decodeBody(resp.body, 'base64').toString('utf8') : resp.body)
      : resp?.body === undefined ? '' : JSON.stringify(resp.body);
    if (policy.findLeaks(text).length > 0) return { drop: `response_leak:${role}` };
  }
  for (const [entity, n] of outcome.replacements) totals.set(entity, (totals.get(entity) ?? 0) + n);
  const r = outcome.request;
  const out = {
    v: 1, ts: rec.ts, route: rec.route, policy: policy.id,
    request: { method: r.method, path: r.url, headers: r.headers, ...encodeBody(r.body) },
    responses: rec.responses ?? {},
  };
  return { line: `${JSON.stringify(out)}\n` };
}

interface Tally { totals: Map<string, number>; dropped: Map<string, number>; counters: { written: number; malformed: number } }

/** Streams records through the policy; returns the exit code (2 when --strict meets a malformed line). */
async function processLines(opts: AnonymizeCliOptions, policy: CompiledPolicy, c: Tally): Promise<number> {
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE;
  let code = 0;
  for await (const { no, text } of lines(opts.input, maxLine)) {
    if (text !== undefined && text.trim() === '') continue;
    const rec = text === undefined ? `longer than ${maxLine} bytes` : parseRecord(text);
    if (typeof rec === 'string') {
      c.counters.malformed++;
      opts.stderr.write(`line ${no}: malformed record (${rec})${opts.strict ? '' : ', skipped'}\n`);
      if (opts.strict) { code = 2; break; }
      continue;
    }
    const result = anonymizeRecord(policy, rec, c.totals);
    if ('drop' in result) {
      const reason = result.drop.startsWith('response_leak') ? 'response_leak' : result.drop;
      c.dropped.set(reason, (c.dropped.get(reason) ?? 0) + 1);
      opts.stderr.write(`line ${no}: record dropped (${result.drop})\n`);
      continue;
    }
    c.counters.written++;
    if (!opts.output.write(result.line)) await once(opts.output, 'drain');
  }
  // Resolve only once everything written so far has been handed to the sink.
  await new Promise<void>((resolve, reject) => opts.output.write('', (err) => (err ? reject(err) : resolve())));
  return code;
}

export async function runAnonymize(opts: AnonymizeCliOptions): Promise<number> {
  let policy: CompiledPolicy | undefined;
  try {
    policy = createAnonymizer(opts.config.anonymize, [opts.policy]).policy(opts.policy);
  } catch (err) {
    opts.stderr.write(`shadowgate: ${err instanceof ShadowgateError ? err.message : 'cannot compile the policy'}\n`);
    return 2;
  }
  if (policy === undefined) {
    const known = Object.keys(opts.config.anonymize.policies);
    opts.stderr.write(`shadowgate: unknown policy "${opts.policy}" (${known.length > 0 ? `defined: ${known.join(', ')}` : 'the configuration defines no policy'})\n`);
    return 2;
  }
  const totals = new Map<string, number>();
  const dropped = new Map<string, number>();
  const counters = { written: 0, malformed: 0 };
  let code: number;
  try {
    code = await processLines(opts, policy, { totals, dropped, counters });
  } catch (err) {
    // A missing input file or a broken pipe: say which, never what the data was.
    opts.stderr.write(`shadowgate: cannot ${(err as { sgSide?: string }).sgSide ?? 'read or write records'} (${(err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.name : 'error')})\n`);
    code = 1;
  }
  const { written, malformed } = counters;
  const droppedTotal = [...dropped.values()].reduce((a, b) => a + b, 0);
  if (code === 0 && malformed > 0 && written === 0 && droppedTotal === 0) {
    // Nothing in the input was a dataset record: say so and fail, rather than "anonymized 0 records".
    opts.stderr.write(`shadowgate: the input held no dataset record (${malformed} malformed line${malformed === 1 ? '' : 's'}; records look like {"v":1,"request":{…}})\n`);
    code = 1;
  }
  const drops = [...dropped].map(([k, n]) => `${k}: ${n}`).join(', ');
  const counts = [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}=${n}`).join(' ');
  opts.stderr.write(`anonymized ${written} records with ${policy.id}; dropped ${droppedTotal}${drops ? ` (${drops})` : ''}; malformed ${malformed}\n`);
  opts.stderr.write(`replacements: ${counts || 'none'}\n`);
  return code;
}

export function runKeygen(out: NodeJS.WritableStream): void {
  out.write(`${generateKey()}\n`);
}

/**
 * Opens --in before anything is read, so a missing or unreadable file is named in the error (a stream's
 * later ENOENT would only say "cannot read"). Errors carry which side failed, never the data.
 */
export async function openInput(path: string): Promise<NodeJS.ReadableStream> {
  const stream = createReadStream(path);
  await opened(stream, `read --in ${path}`);
  return stream;
}

export async function openOutput(path: string): Promise<NodeJS.WritableStream> {
  const stream = createWriteStream(path);
  await opened(stream, `write --out ${path}`);
  stream.on('error', (err) => Object.assign(err, { sgSide: `write --out ${path}` }));
  return stream;
}

async function opened(stream: NodeJS.EventEmitter, side: string): Promise<void> {
  try {
    await once(stream, 'open');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ShadowgateError('SG_ERR_IO', `cannot ${side} (${code})`, 500);
  }
}
