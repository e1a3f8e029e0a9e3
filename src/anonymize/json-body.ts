// The JSON walker: applies field rules by path, and `unknown` (scan | drop | keep) to every value no rule
// names. Numbers are untouched unless a rule or a revealing key names them, or they are card- or phone-shaped
// (detectors/numbers.ts). Mutates the parsed tree; used for documents the fast path (json-stream.ts) refuses.
import { classifyKey, scopedKey, type KeyEntity } from './detectors/key-names.js';
import { integralLength, numberEntity } from './detectors/numbers.js';
import { initialStates, step, valueAt, type Segment, type States } from '../kernel/json-path.js';
import type { CompiledRule } from './rules.js';
import { fieldScanOptions, type Run } from './run.js';
import type { ScanOptions } from './scan.js';
import type { Scalar } from './transforms.js';

export interface FieldRules {
  readonly paths: readonly (readonly Segment[])[];
  readonly rules: readonly CompiledRule[];
  readonly unknown: 'scan' | 'drop' | 'keep';
}

/** What a walker returns for a value the policy removes (shared with the other codecs). */
export const DROP = Symbol('drop');
type Out = unknown;

interface Walk {
  readonly run: Run;
  readonly f: FieldRules;
  readonly subjects: (string | undefined)[];
}

export function anonymizeJson(run: Run, f: FieldRules, root: unknown): unknown {
  const subjects = f.rules.map((r) => {
    if (r.subject === undefined) return undefined;
    const v = valueAt(root, r.subject);
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  });
  const initial = initialStates(f.paths.length);
  const w: Walk = { run, f, subjects };
  const out = visit(w, root, initial, undefined);
  return out === DROP ? null : out;
}

function visit(w: Walk, value: unknown, states: States, key: string | undefined): Out | typeof DROP {
  if (value !== null && typeof value === 'object') {
    return eachChild(w.run, value, key, (child, k, v) => {
      const s = step(w.f.paths, states, child);
      return s.matched >= 0 ? applyRule(w, s.matched, v, k) : visit(w, v, s.states, k);
    });
  }
  return unknownScalar(w.run, w.f.unknown, value, key);
}

/**
 * A number no rule and no revealing key names, read as its source text (no precision lost): a card or
 * phone shape is replaced, as digits of the same length; under `keep` it is a leak. Returns the new source
 * text, or undefined when the number stays as written.
 */
export function shapedNumber(run: Run, mode: FieldRules['unknown'], src: string): string | undefined {
  const e = numberEntity(src, run.ctx.cards);
  if (e === undefined || mode === 'drop') return undefined;
  if (mode === 'keep') { run.keyLeak(e); return undefined; }
  // An integral float (`4111111111111111.0`) keeps its fraction: the integer is what is replaced.
  const n = integralLength(src);
  return n === src.length ? String(run.replaceEntity(e, src)) : String(run.replaceEntity(e, src.slice(0, n))) + src.slice(n);
}

/** `unknown` for one scalar no rule names (shared with the streaming fast path in json-stream.ts). */
export function unknownScalar(run: Run, mode: FieldRules['unknown'], value: unknown, key: string | undefined): Out | typeof DROP {
  return unknownScalarOf(run, mode, value, key, key === undefined ? undefined : classifyKey(key), undefined);
}

/**
 * `unknownScalar` with the key's class already known (`entity`: classifyKey(key); `opts`: its
 * fieldScanOptions, or undefined to look them up): the fast path asks once per key, not per value.
 */
export function unknownScalarOf(run: Run, mode: FieldRules['unknown'], value: unknown, key: string | undefined,
  entity: KeyEntity | undefined, opts: ScanOptions | undefined): Out | typeof DROP {
  if (typeof value !== 'string' && typeof value !== 'number') return mode === 'drop' ? DROP : value;
  if (mode === 'drop') return DROP;
  if (typeof value === 'number' && entity === undefined) {
    const shaped = Number.isSafeInteger(value) ? shapedNumber(run, mode, String(value)) : undefined;
    return shaped === undefined ? value : Number(shaped);
  }
  const empty = value === '';
  if (mode === 'keep') {
    if (entity !== undefined && !empty) run.keyLeak(entity === 'person_first' || entity === 'person_last' ? 'person' : entity);
    if (typeof value === 'string') run.guard(value, opts ?? fieldScanOptions(key));
    return value;
  }
  if (entity !== undefined && !empty) return run.replaceByKey(entity, value);
  return typeof value === 'string' ? run.scanReplace(value, opts ?? fieldScanOptions(key)) : value;
}

function applyRule(w: Walk, r: number, value: unknown, key: string | undefined): Out | typeof DROP {
  const rule = w.f.rules[r]!;
  if (rule.type === 'drop') return DROP;
  if (rule.type === 'keep') { guardTree(w.run, value); return value; }
  return spread(w, rule, w.subjects[r], value, key);
}

/**
 * Replaces each child of an array or object by `f`'s result in place: DROP becomes null in an array (its
 * length is shape) and a deleted member in an object. Array elements inherit the array's key; a member
 * is classified by its scoped key (`text` under `name` is a full name).
 */
function eachChild(run: Run, value: object, key: string | undefined,
  f: (child: string | number, key: string | undefined, v: unknown) => Out | typeof DROP): object {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = f(i, key, value[i]);
      value[i] = r === DROP ? null : r;
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    // Keys are never rewritten: personal data in a key fails the copy instead.
    run.guard(k);
    const r = f(k, scopedKey(key, k), obj[k]);
    if (r === DROP) delete obj[k];
    else obj[k] = r;
  }
  return obj;
}

/** A rule on an object or array applies to every scalar under it. */
function spread(w: Walk, rule: CompiledRule, subject: string | undefined, value: unknown, key: string | undefined): Out | typeof DROP {
  if (typeof value === 'string' || typeof value === 'number') {
    const out = rule.apply(w.run, value as Scalar, key, subject);
    return out === undefined ? DROP : out;
  }
  if (value !== null && typeof value === 'object') {
    return eachChild(w.run, value, key, (_child, k, v) => spread(w, rule, subject, v, k));
  }
  return value;
}

/** `keep` passes a subtree unchanged, but the leak guard still reads every string in it. */
function guardTree(run: Run, value: unknown): void {
  if (typeof value === 'string') run.guard(value);
  else if (typeof value === 'number') { if (Number.isSafeInteger(value)) shapedNumber(run, 'keep', String(value)); }
  else if (Array.isArray(value)) for (const v of value) guardTree(run, v);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) { run.guard(k); guardTree(run, v); }
  }
}
