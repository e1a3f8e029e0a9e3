// Query strings and urlencoded forms: names are kept, each value goes through its rule or `unknown`.
import { classifyKey } from './detectors/key-names.js';
import type { CompiledRule } from './rules.js';
import { fieldScanOptions, type FailureReason, type Run } from './run.js';

export interface PairRules {
  readonly rules: ReadonlyMap<string, CompiledRule>;
  readonly unknown: 'scan' | 'drop' | 'keep';
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** `malformed` is the failure a broken percent-escape is counted as (a form body: malformed_body). */
export function anonymizePairs(run: Run, p: PairRules, input: string, malformed: FailureReason = 'unsupported'): string {
  if (input.length === 0) return input;
  const out: string[] = [];
  for (const part of input.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const name = decode(rawName);
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (name === undefined || value === undefined) {
      run.fail(malformed, 'malformed percent-encoding in a query string or form');
      return '';
    }
    run.guard(name);
    const rule = p.rules.get(name);
    let next: string | undefined;
    if (rule !== undefined) {
      if (rule.type === 'keep') { run.guard(value); next = value; }
      else { const r = rule.apply(run, value, name, undefined); next = r === undefined ? undefined : String(r); }
    } else if (p.unknown === 'drop') {
      next = undefined;
    } else {
      const entity = classifyKey(name);
      if (p.unknown === 'keep') {
        if (entity !== undefined && value !== '') run.keyLeak(entity === 'person_first' || entity === 'person_last' ? 'person' : entity);
        run.guard(value, fieldScanOptions(name));
        next = value;
      } else {
        next = entity !== undefined && value !== '' ? String(run.replaceByKey(entity, value)) : run.scanReplace(value, fieldScanOptions(name));
      }
    }
    if (next === undefined) continue;
    out.push(eq < 0 && next === '' ? rawName : `${rawName}=${encodeURIComponent(next)}`);
  }
  return out.join('&');
}
