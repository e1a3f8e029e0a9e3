// The JSON fast path: one pass over the body text that validates it, applies the same rules as the tree
// walker (json-body.ts) to each string and number in place and copies everything else through as
// written — no JSON.parse / JSON.stringify round trip. Policies it cannot serve return undefined.
import { classifyKey } from './detectors/key-names.js';
import { step, type States } from './json-path.js';
import { unknownScalar, type FieldRules } from './json-body.js';
import type { CompiledRule } from './rules.js';
import type { Run } from './run.js';
import type { Scalar } from './transforms.js';

/** Deeper documents take the tree walker (whose recursion the engine has always had). */
const MAX_DEPTH = 128;

/** Thrown for any text JSON.parse would reject (or too deep); the caller falls back to the tree walker. */
class NotJson extends Error {}

/**
 * True when the fast path gives the tree walker's result: no field is ever deleted (no `drop` rule, no
 * `unknown: drop`) and no rule needs a subject value read from elsewhere in the document first.
 */
export function streamable(f: FieldRules): boolean {
  return f.unknown !== 'drop' && f.rules.every((r) => r.type !== 'drop' && r.subject === undefined);
}

// How a subtree is treated: walked by path, under a matched rule (spread), or kept (leak guard only).
const WALK = 0;
const SPREAD = 1;
const KEEP = 2;

class Rewriter {
  pos = 0;
  /** Output so far, up to `copied` in the input. */
  out = '';
  copied = 0;

  constructor(readonly run: Run, readonly f: FieldRules, readonly text: string) {}

  ws(): void {
    const t = this.text;
    let i = this.pos;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    }
    this.pos = i;
  }

  replace(start: number, end: number, v: Scalar): void {
    this.out += this.text.slice(this.copied, start) + JSON.stringify(v);
    this.copied = end;
  }

  /** A string token at pos (the opening quote): its decoded value; pos ends after the closing quote. */
  str(): string {
    const t = this.text;
    const start = this.pos + 1;
    let escaped = false;
    let i = start;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) { escaped = true; i++; continue; }
      if (c < 32) throw new NotJson();
    }
    if (i >= t.length) throw new NotJson();
    this.pos = i + 1;
    if (!escaped) return t.slice(start, i);
    // Escapes are rare: JSON.parse of just this token decodes (and validates) them exactly.
    try {
      return JSON.parse(t.slice(start - 1, i + 1)) as string;
    } catch {
      throw new NotJson();
    }
  }

  /** A number token at pos, by the JSON grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? */
  num(convert: boolean): number {
    const t = this.text;
    const start = this.pos;
    let i = start;
    let c = t.charCodeAt(i);
    if (c === 45) c = t.charCodeAt(++i);
    if (c === 48) c = t.charCodeAt(++i);
    else if (c >= 49 && c <= 57) { do c = t.charCodeAt(++i); while (c >= 48 && c <= 57); }
    else throw new NotJson();
    if (c === 46) {
      c = t.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) throw new NotJson();
      do c = t.charCodeAt(++i); while (c >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      c = t.charCodeAt(++i);
      if (c === 43 || c === 45) c = t.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) throw new NotJson();
      do c = t.charCodeAt(++i); while (c >= 48 && c <= 57);
    }
    this.pos = i;
    return convert ? Number(t.slice(start, i)) : 0;
  }

  literal(word: string): void {
    if (!this.text.startsWith(word, this.pos)) throw new NotJson();
    this.pos += word.length;
  }

  /** One value at pos. `key` is the nearest object key (array elements inherit it), as in the tree walker. */
  value(mode: number, states: States, rule: CompiledRule | undefined, key: string | undefined, depth: number): void {
    this.ws();
    const c = this.text.charCodeAt(this.pos);
    if (c === 123 || c === 91) {
      if (depth >= MAX_DEPTH) throw new NotJson();
      if (c === 123) this.object(mode, states, rule, depth + 1);
      else this.array(mode, states, rule, key, depth + 1);
      return;
    }
    const start = this.pos;
    let v: Scalar;
    if (c === 34) v = this.str();
    else if (c === 45 || (c >= 48 && c <= 57)) {
      // Most numbers are model features no rule and no revealing key names: validated, never converted.
      if (mode === KEEP || (mode === WALK && (key === undefined || classifyKey(key) === undefined))) { this.num(false); return; }
      v = this.num(true);
    }
    else {
      this.literal(c === 116 ? 'true' : c === 102 ? 'false' : 'null');
      // Booleans and null pass unchanged in every mode the fast path serves.
      return;
    }
    let out: unknown;
    if (mode === KEEP) { if (typeof v === 'string') this.run.guard(v); return; }
    if (mode === SPREAD) out = rule!.apply(this.run, v, key, undefined);
    else out = unknownScalar(this.run, this.f.unknown, v, key);
    if (out !== v) this.replace(start, this.pos, out as Scalar);
  }

  child(mode: number, states: States, rule: CompiledRule | undefined, name: string | number, key: string | undefined, depth: number): void {
    if (mode !== WALK) { this.value(mode, states, rule, key, depth); return; }
    const s = step(this.f.paths, states, name);
    if (s.matched < 0) { this.value(WALK, s.states, undefined, key, depth); return; }
    const r = this.f.rules[s.matched]!;
    this.value(r.type === 'keep' ? KEEP : SPREAD, s.states, r, key, depth);
  }

  object(mode: number, states: States, rule: CompiledRule | undefined, depth: number): void {
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 125) { this.pos++; return; }
    for (;;) {
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 34) throw new NotJson();
      const k = this.str();
      // Keys are never rewritten: personal data in a key fails the copy instead.
      this.run.guard(k);
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 58) throw new NotJson();
      this.pos++;
      this.child(mode, states, rule, k, k, depth);
      this.ws();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 125) return;
      if (c !== 44) throw new NotJson();
    }
  }

  array(mode: number, states: States, rule: CompiledRule | undefined, key: string | undefined, depth: number): void {
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 93) { this.pos++; return; }
    for (let i = 0; ; i++) {
      this.child(mode, states, rule, i, key, depth);
      this.ws();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 93) return;
      if (c !== 44) throw new NotJson();
    }
  }
}

/**
 * The anonymized JSON text, or undefined when `text` is not JSON (or nested deeper than the fast path
 * goes): the caller then takes the tree walker, which also decides what invalid JSON becomes. Only for
 * policies where streamable(f) holds. Returns `text` itself when nothing changed.
 */
export function rewriteJson(run: Run, f: FieldRules, text: string): string | undefined {
  const initial: number[] = [];
  for (let r = 0; r < f.paths.length; r++) initial.push(r, 0);
  const w = new Rewriter(run, f, text);
  try {
    w.value(WALK, initial, undefined, undefined, 0);
    w.ws();
    if (w.pos !== text.length) return undefined;
  } catch (err) {
    if (err instanceof NotJson || err instanceof RangeError) return undefined;
    throw err;
  }
  return w.copied === 0 ? text : w.out + text.slice(w.copied);
}
