// What every codec shares: the policy it applies (field rules by path, `unknown`, form rules), path scopes
// over any tree of named fields (XML elements, CSV columns, YAML keys, form and multipart fields), and
// the one function that applies a rule or `unknown` to one string field. The path form is JSON's
// (json-path.ts): a codec only says which names make up a field's path (docs/formats.md).
import { DROP, unknownScalar, type FieldRules } from '../json-body.js';
import { step, type Segment, type States } from '../../kernel/json-path.js';
import type { PairRules } from '../pairs.js';
import type { Run } from '../run.js';

/** Bounds every codec keeps (beyond the body's byte bound): nesting depth, and nodes (elements, cells, lines, parts). */
export const MAX_DEPTH = 256;
export const MAX_NODES = 250_000;
export const MAX_PARTS = 1000;

export interface CodecEnv {
  readonly run: Run;
  /** form: and single-name fields: rules together (form: first), for urlencoded and multipart fields. */
  readonly form: PairRules;
  /** Keep a body (or multipart part) no codec reads, after the byte-level leak guard. */
  readonly keepUnknownBodies: boolean;
  /** The dispatcher, for codecs that hold other bodies (multipart parts). */
  readonly entity: (env: CodecEnv, f: FieldRules, bytes: Buffer, contentType: string | undefined, depth: number) => EntityOut | undefined;
}

export interface EntityOut {
  readonly bytes: Buffer;
  /** The text was read in another charset (or with a BOM) and is now UTF-8. */
  readonly transcoded: boolean;
}

/** Where a field sits: the active path states, or the rule matched at or above it (which spreads to all below). */
export interface Scope {
  readonly states: States;
  readonly rule: number;
}

export function rootScope(f: FieldRules): Scope {
  const states: number[] = [];
  for (let r = 0; r < f.paths.length; r++) states.push(r, 0);
  return { states, rule: -1 };
}

/** The scope of a child named `key` (or at array index `key`). */
export function childScope(f: FieldRules, scope: Scope, key: string | number): Scope {
  if (scope.rule >= 0 || scope.states.length === 0) return scope;
  const s = step(f.paths, scope.states, key);
  return { states: s.states, rule: s.matched };
}

const ANY: readonly Segment[] = [{ kind: 'any' }];

/**
 * The rules as seen from inside `scope`: what a body nested at that field (a JSON part of a multipart
 * form) is walked with. A rule matched at the field spreads over the whole nested body.
 */
export function subRules(f: FieldRules, scope: Scope): FieldRules {
  if (scope.rule >= 0) return { paths: [ANY], rules: [f.rules[scope.rule]!], unknown: f.unknown };
  const paths: (readonly Segment[])[] = [];
  const rules: FieldRules['rules'][number][] = [];
  for (let s = 0; s < scope.states.length; s += 2) {
    paths.push(f.paths[scope.states[s]!]!.slice(scope.states[s + 1]!));
    rules.push(f.rules[scope.states[s]!]!);
  }
  return { paths, rules, unknown: f.unknown };
}

/**
 * One string field: the rule of its scope, or `unknown` with the key-name classifier, exactly as a JSON
 * string under the same key. undefined when the field is dropped.
 */
export function fieldValue(run: Run, f: FieldRules, scope: Scope, value: string, key: string | undefined): string | undefined {
  if (scope.rule >= 0) {
    const rule = f.rules[scope.rule]!;
    if (rule.type === 'drop') return undefined;
    if (rule.type === 'keep') { run.guard(value); return value; }
    const out = rule.apply(run, value, key, undefined);
    return out === undefined ? undefined : String(out);
  }
  const out = unknownScalar(run, f.unknown, value, key);
  return out === DROP ? undefined : String(out as string | number);
}

/** Free text no key names (plain text, HTML text, comments): scanned, kept under the guard, or dropped. */
export function freeText(run: Run, mode: FieldRules['unknown'], text: string): string {
  if (mode === 'drop') return '';
  if (mode === 'keep') { run.guard(text); return text; }
  return run.scanReplace(text);
}
