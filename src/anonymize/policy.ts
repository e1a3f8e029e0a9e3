// A policy compiled once at load: rules parsed into matchers, an id derived from its canonical form,
// and `anonymize(req)` that runs headers → url → body → leak guard and fails closed on anything odd.
import { createHash } from 'node:crypto';
import type { PolicyConfig, TransformSpec } from '../config/schema.js';
import type { AnonymizedRequest, RawRequest } from '../exchange.js';
import { BoundedMap, BoundedSet } from '../kernel/bounded-map.js';
import { anonymizeHeaders } from './headers.js';
import { shapedNumber, type FieldRules } from './json-body.js';
import { compileStreamPath, isSingular, parseJsonPath, type Segment } from '../kernel/json-path.js';
import type { KeyedHash } from './keyed.js';
import type { PairRules } from './pairs.js';
import { compileRule, type CompiledRule } from './rules.js';
import { Run, type EngineContext, type FailureReason } from './run.js';
import { decodeContent, DEFAULT_MAX_DECODED_BYTES, isBodyFailure, utf8ContentType } from './body-decode.js';
import { anonymizeEntity, type CodecEnv } from './codecs/index.js';
import { anonymizeUrl, compileTemplate, type PathTemplate } from './url.js';
import { canonicalJson } from '../kernel/canonical-json.js';

export type AnonymizeOutcome =
  | { ok: true; request: AnonymizedRequest; replacements: ReadonlyMap<string, number> }
  | { ok: false; reason: 'leak' | FailureReason; detail: string; replacements: ReadonlyMap<string, number> };

export interface AnonymizeOptions {
  /** Bound on a body's size once its Content-Encoding is undone (the route's shadow.maxBodyBytes). */
  readonly maxDecodedBytes?: number;
}

export interface CompiledPolicy {
  readonly name: string;
  readonly id: string;
  anonymize(req: RawRequest, opts?: AnonymizeOptions): AnonymizeOutcome;
  /**
   * The personal data kinds found in `text` (an answer) that are not pseudonyms this policy wrote.
   * `parsed`: `text` already parsed as JSON (JSON.parse of exactly this text), read instead of parsing again.
   */
  findLeaks(text: string, parsed?: unknown): string[];
}



export function policyId(name: string, cfg: PolicyConfig): string {
  return `${name}@${createHash('sha256').update(canonicalJson(cfg)).digest('hex').slice(0, 12)}`;
}

/** A bare integer token of 10–19 digits (or an integral float, `….0`) in JSON text (a value, not inside a string). */
const NUMBER_TOKEN = /(?<=[:\[,]\s*)(\d{10,19}(?:\.0+)?)(?=\s*[,\]}])/g;

/** Request targets remembered per policy whose anonymization read nothing personal (see Run.marks). */
const PURE_URLS = 1024;
/** Only short targets are remembered (a route's path and fixed query): at most ~0.5 MB per policy. */
const PURE_URL_MAX_LENGTH = 256;

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function rulesMap(rules: Readonly<Record<string, TransformSpec>>, ids: { next: number }): Map<string, CompiledRule> {
  return new Map(Object.entries(rules).map(([k, spec]) => [k, compileRule(spec, undefined, ids.next++)]));
}

/** Compiles a policy; returns the problems (path-prefixed) instead when a JSON path cannot be read. */
export function compilePolicy(name: string, cfg: PolicyConfig, hash: KeyedHash, maxScanBytes: number, cacheSize: number): CompiledPolicy | string[] {
  const problems: string[] = [];
  const ids = { next: 0 };
  const paths: Segment[][] = [];
  const rules: CompiledRule[] = [];
  for (const [path, spec] of Object.entries(cfg.fields)) {
    const segs = compileStreamPath(path);
    if (typeof segs === 'string') { problems.push(`anonymize.policies.${name}.fields["${path}"]: ${segs}`); continue; }
    let subject: Segment[] | undefined;
    if (typeof spec === 'object' && spec.subject !== undefined) {
      const s = parseJsonPath(spec.subject);
      if (typeof s === 'string' || !isSingular(s)) {
        problems.push(`anonymize.policies.${name}.fields["${path}"].subject: expected a path without wildcards, e.g. $.user.id`);
        continue;
      }
      subject = s;
    }
    paths.push(segs);
    rules.push(compileRule(spec, subject, ids.next++));
  }
  if (problems.length > 0) return problems;
  const fields: FieldRules = { paths, rules, unknown: cfg.unknown };
  const query: PairRules = { rules: rulesMap(cfg.query, ids), unknown: cfg.unknown };
  // Field rules on one name (`$.email`, `$..email`) apply to form fields too (the first in config order); `form:` rules come first.
  const formRules = new Map<string, CompiledRule>();
  for (let r = 0; r < paths.length; r++) {
    const only = paths[r]!.length === 1 ? paths[r]![0]! : undefined;
    if ((only?.kind === 'child' || only?.kind === 'descendant') && only.name !== null && !formRules.has(only.name)) formRules.set(only.name, rules[r]!);
  }
  for (const [k, v] of rulesMap(cfg.form, ids)) formRules.set(k, v);
  const form: PairRules = { rules: formRules, unknown: cfg.unknown };
  const templates: PathTemplate[] = cfg.pathParams.map((p) => compileTemplate(p.template, rulesMap(p.params, ids)));
  const keep = new Set(cfg.headers.keep.map((h) => h.toLowerCase()));
  const ctx: EngineContext = {
    hash, maxScanBytes, recent: new BoundedSet(cacheSize), clean: new BoundedSet(cacheSize), cleanStructured: new BoundedSet(cacheSize),
    outputs: new Map(), memoSize: cacheSize,
    ...(cfg.entities === undefined ? {} : { cards: { uatp: cfg.entities.uatpCards }, geo: cfg.entities.geo }),
  };
  const id = policyId(name, cfg);
  // Request targets whose anonymization found and wrote nothing (a route's fixed path and query), by target.
  const pureUrls = new BoundedMap<string, string>(PURE_URLS);

  /**
   * The body as it is sent, and whether it was transcoded to UTF-8 (its content type then says so): the
   * Content-Encoding undone, then the codec of its type (codecs/): a body no codec reads is never sent
   * stripped, the copy fails with the reason instead (deny by default).
   */
  function body(run: Run, req: RawRequest, maxDecodedBytes: number): { bytes: Buffer; transcoded?: boolean } {
    if (req.body.length === 0) return { bytes: req.body };
    const decoded = decodeContent(req.body, header(req.headers['content-encoding']), maxDecodedBytes);
    if (isBodyFailure(decoded)) { run.fail(decoded.reason, decoded.detail); return { bytes: Buffer.alloc(0) }; }
    const env: CodecEnv = { run, form, keepUnknownBodies: cfg.keepUnknownBodies, entity: anonymizeEntity };
    const out = anonymizeEntity(env, fields, decoded, header(req.headers['content-type']), 0);
    return out === undefined ? { bytes: Buffer.alloc(0) } : out;
  }

  return {
    name,
    id,
    anonymize(req: RawRequest, opts?: AnonymizeOptions): AnonymizeOutcome {
      const run = new Run(ctx);
      try {
        const headers = anonymizeHeaders(run, keep, req.headers);
        const short = req.url.length <= PURE_URL_MAX_LENGTH;
        let url = short ? pureUrls.get(req.url) : undefined;
        if (url === undefined) {
          const marks = run.marks;
          url = anonymizeUrl(run, templates, query, req.url);
          if (short && run.marks === marks) pureUrls.set(req.url, url);
        }
        const out = body(run, req, opts?.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES);
        const outBody = out.bytes;
        // The copy is sent identity-encoded, in UTF-8: the headers say so.
        delete headers['content-encoding'];
        if (out.transcoded === true && headers['content-type'] !== undefined) headers['content-type'] = utf8ContentType(headers['content-type']);
        if (run.failure !== undefined) return { ok: false, ...run.failure, replacements: run.counts };
        if (run.leaks.size > 0) {
          return { ok: false, reason: 'leak', detail: `leak guard found ${[...run.leaks].sort().join(', ')} in the anonymized copy`, replacements: run.counts };
        }
        return { ok: true, request: { method: req.method, url, headers, body: outBody }, replacements: run.counts };
      } catch (err) {
        // The message of an unexpected error may quote user data: report only its class.
        return { ok: false, reason: 'error', detail: `anonymizer failed (${err instanceof Error ? err.name : 'unknown error'})`, replacements: run.counts };
      }
    },
    findLeaks(text: string, parsed?: unknown): string[] {
      // The request path's guard, over text nobody wrote: only recent pseudonyms are allowed.
      const run = new Run(ctx);
      const trimmed = text.trimStart();
      let structured = false;
      if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        try {
          const walk = (v: unknown): void => {
            if (typeof v === 'string') run.guard(v);
            else if (Array.isArray(v)) v.forEach(walk);
            else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { run.guard(k); walk(x); }
          };
          walk(parsed !== null && typeof parsed === 'object' ? parsed : JSON.parse(text));
          // Numbers are read as written (JSON.parse would round a 16-digit card): card- and phone-shaped only.
          NUMBER_TOKEN.lastIndex = 0;
          for (let m = NUMBER_TOKEN.exec(text); m !== null; m = NUMBER_TOKEN.exec(text)) shapedNumber(run, 'keep', m[1]!);
          structured = true;
        } catch {
          run.leaks.clear();
          run.failure = undefined;
        }
      }
      if (!structured) run.guard(text);
      const found = new Set<string>(run.leaks);
      if (run.failure !== undefined) found.add('unscannable');
      return [...found].sort();
    },
  };
}
