// A policy compiled once at load: rules parsed into matchers, an id derived from its canonical form,
// and `anonymize(req)` that runs headers → url → body → leak guard and fails closed on anything odd.
import { createHash } from 'node:crypto';
import type { PolicyConfig, TransformSpec } from '../config/schema.js';
import type { AnonymizedRequest, RawRequest } from '../exchange.js';
import { BoundedSet } from './bounded-set.js';
import { anonymizeHeaders } from './headers.js';
import { anonymizeJson, type FieldRules } from './json-body.js';
import { rewriteJson, streamable } from './json-stream.js';
import { parseJsonPath, type Segment } from './json-path.js';
import type { KeyedHash } from './keyed.js';
import { anonymizePairs, type PairRules } from './pairs.js';
import { compileRule, type CompiledRule } from './rules.js';
import { Run, type EngineContext } from './run.js';
import { scanText } from './scan.js';
import { anonymizeUrl, compileTemplate, type PathTemplate } from './url.js';

export type AnonymizeOutcome =
  | { ok: true; request: AnonymizedRequest; replacements: ReadonlyMap<string, number> }
  | { ok: false; reason: 'leak' | 'unsupported' | 'error'; detail: string; replacements: ReadonlyMap<string, number> };

export interface CompiledPolicy {
  readonly name: string;
  readonly id: string;
  anonymize(req: RawRequest): AnonymizeOutcome;
  findLeaks(text: string): string[];
}

/** JSON with sorted keys, so equal policies hash equally whatever the order in the file. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function policyId(name: string, cfg: PolicyConfig): string {
  return `${name}@${createHash('sha256').update(canonicalJson(cfg)).digest('hex').slice(0, 12)}`;
}

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json$/;
const TEXT_TYPE = /^(?:text\/[\w.+-]+|application\/(?:xml|javascript|graphql|[\w.+-]*\+xml))$/;

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
    const segs = parseJsonPath(path);
    if (typeof segs === 'string') { problems.push(`anonymize.policies.${name}.fields["${path}"]: ${segs}`); continue; }
    let subject: Segment[] | undefined;
    if (typeof spec === 'object' && spec.subject !== undefined) {
      const s = parseJsonPath(spec.subject);
      if (typeof s === 'string' || s.some((x) => x.kind !== 'child' && x.kind !== 'index')) {
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
  const stream = streamable(fields);
  const query: PairRules = { rules: rulesMap(cfg.query, ids), unknown: cfg.unknown };
  const form: PairRules = { rules: rulesMap(cfg.form, ids), unknown: cfg.unknown };
  const templates: PathTemplate[] = cfg.pathParams.map((p) => compileTemplate(p.template, rulesMap(p.params, ids)));
  const keep = new Set(cfg.headers.keep.map((h) => h.toLowerCase()));
  const ctx: EngineContext = {
    hash, maxScanBytes, recent: new BoundedSet(cacheSize), clean: new BoundedSet(cacheSize), cleanStructured: new BoundedSet(cacheSize),
    outputs: new Map(), memoSize: cacheSize,
  };
  const id = policyId(name, cfg);

  function body(run: Run, req: RawRequest): Buffer {
    if (req.body.length === 0) return req.body;
    const ctHeader = req.headers['content-type'];
    const mime = (Array.isArray(ctHeader) ? ctHeader[0] : ctHeader)?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (JSON_TYPE.test(mime)) {
      const text = req.body.toString('utf8');
      if (stream) {
        const mark = run.checkpoint();
        const out = rewriteJson(run, fields, text);
        if (out === text) return req.body;
        if (out !== undefined) return Buffer.from(out);
        run.restore(mark);
      }
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        // Invalid JSON is never passed through: scanned as text, or dropped.
        return cfg.unknown === 'scan' ? Buffer.from(run.scanReplace(text)) : Buffer.alloc(0);
      }
      return Buffer.from(JSON.stringify(anonymizeJson(run, fields, doc)));
    }
    if (mime === 'application/x-www-form-urlencoded') return Buffer.from(anonymizePairs(run, form, req.body.toString('utf8')));
    if (TEXT_TYPE.test(mime)) {
      const text = req.body.toString('utf8');
      if (cfg.unknown === 'drop') return Buffer.alloc(0);
      if (cfg.unknown === 'keep') { run.guard(text); return req.body; }
      return Buffer.from(run.scanReplace(text));
    }
    // Binary or unknown types cannot be scanned: dropped unless the policy explicitly keeps them.
    return cfg.keepUnknownBodies ? req.body : Buffer.alloc(0);
  }

  return {
    name,
    id,
    anonymize(req: RawRequest): AnonymizeOutcome {
      const run = new Run(ctx);
      try {
        const headers = anonymizeHeaders(run, keep, req.headers);
        const url = anonymizeUrl(run, templates, query, req.url);
        const outBody = body(run, req);
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
    findLeaks(text: string): string[] {
      const found = new Set<string>();
      const check = (s: string) => {
        if (s.length > maxScanBytes) { found.add('unscannable'); return; }
        for (const hit of scanText(s)) if (!ctx.recent.has(s.slice(hit.start, hit.end))) found.add(hit.entity);
      };
      const trimmed = text.trimStart();
      if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
        try {
          // Structured: strings and keys are read, numbers (scores, timestamps) are not personal data.
          const walk = (v: unknown): void => {
            if (typeof v === 'string') check(v);
            else if (Array.isArray(v)) v.forEach(walk);
            else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) { check(k); walk(x); }
          };
          walk(JSON.parse(text));
          return [...found].sort();
        } catch {
          found.clear();
        }
      }
      check(text);
      return [...found].sort();
    },
  };
}
