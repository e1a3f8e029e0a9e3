// The request target: path segments named by a `pathParams` template get their transform; other
// segments are scanned, names included, through two more levels of percent-escapes (never dropped: that
// would change the route). The query keeps its names.
import { anonymizePairs, type PairRules } from './pairs.js';
import type { CompiledRule } from './rules.js';
import { fieldScanOptions, type Run } from './run.js';

export interface PathTemplate {
  /** One entry per segment: a literal, or the param's rule (undefined = the template names no rule). */
  readonly segments: readonly ({ literal: string } | { param: string; rule: CompiledRule | undefined })[];
}

export function compileTemplate(template: string, params: ReadonlyMap<string, CompiledRule>): PathTemplate {
  const segments = template.split('/').slice(1).map((s) => {
    const m = /^\{([^}]+)\}$/.exec(s);
    return m ? { param: m[1]!, rule: params.get(m[1]!) } : { literal: s };
  });
  return { segments };
}

export function anonymizeUrl(run: Run, templates: readonly PathTemplate[], query: PairRules, url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const segs = path.split('/');
  const template = templates.find((t) => t.segments.length === segs.length - 1 &&
    t.segments.every((s, i) => !('literal' in s) || s.literal === segs[i + 1]));
  for (let i = 1; i < segs.length; i++) {
    const raw = segs[i]!;
    if (raw.length === 0) continue;
    let seg: string;
    try { seg = decodeURIComponent(raw); } catch { run.fail('unsupported', 'malformed percent-encoding in the path'); return ''; }
    const t = template?.segments[i - 1];
    if (t !== undefined && 'param' in t && t.rule !== undefined) {
      if (t.rule.type === 'keep') { run.guard(seg); continue; }
      const r = t.rule.apply(run, seg, t.param, undefined);
      segs[i] = encodeURIComponent(r === undefined ? '' : String(r));
      continue;
    }
    // Read as a structured value: a name needs both ends listed (/v1/people/Maria%20Gonzalez).
    const next = run.scanReplace(seg, fieldScanOptions(undefined));
    if (next !== seg) segs[i] = encodeURIComponent(next);
  }
  const outPath = segs.join('/');
  if (q < 0) return outPath;
  const outQuery = anonymizePairs(run, query, url.slice(q + 1));
  return outQuery.length > 0 ? `${outPath}?${outQuery}` : outPath;
}
