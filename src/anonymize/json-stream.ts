// The JSON fast path: one pass over the body text that validates it, applies the same rules as the tree
// walker (json-body.ts) to each string and number in place, removes what is dropped, and copies everything
// else through as written — no JSON.parse / JSON.stringify round trip, so an untouched number keeps its
// source text byte for byte (1.0 stays 1.0, 2^53 + 1 stays exact) and a replaced one keeps its type.
import { scopedKey } from './detectors/key-names.js';
import { valueAt, type States } from '../kernel/json-path.js';
import { shapedNumber, unknownScalarOf, type FieldRules } from './json-body.js';
import { integralLength } from './detectors/numbers.js';
import type { CompiledRule } from './rules.js';
import type { Run } from './run.js';
import { stepsOf, type Member, type StepCache } from './steps.js';
import type { Scalar } from './transforms.js';

/** Deeper documents take the tree walker (whose recursion the engine has always had). */
const MAX_DEPTH = 512;

/** Thrown for any text JSON.parse would reject (or too deep); the caller falls back to the tree walker. */
class NotJson extends Error {}

// How a subtree is treated: walked by path, under a matched rule (spread), kept (leak guard only), or
// dropped (validated only, then cut out).
const WALK = 0;
const SPREAD = 1;
const KEEP = 2;
const SKIP = 3;

/** An integer literal beyond 2^53 is handed to card and phone transforms as its digits, so nothing is rounded. */
const INTEGER = /^-?\d+$/;
function digitTransform(t: string | undefined): boolean {
  return t === 'card' || t === 'phone';
}

/** `JSON.stringify(v)` of a replaced value; a string with nothing to escape is quoted as it is. */
function jsonText(v: unknown): string {
  if (typeof v !== 'string') return JSON.stringify(v);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // Control characters, the quote, the backslash and surrogates (a lone one is escaped) take JSON.stringify.
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(v);
  }
  return `"${v}"`;
}

class Rewriter {
  pos = 0;
  /** Output so far, up to `copied` in the input. */
  out = '';
  copied = 0;

  constructor(readonly run: Run, readonly f: FieldRules, readonly text: string,
    readonly subjects: ReadonlyMap<CompiledRule, string | undefined>, readonly steps: StepCache) {}

  ws(): void {
    const t = this.text;
    let i = this.pos;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    }
    this.pos = i;
  }

  /** Writes `raw` (JSON text) for input [start, end); a start before `copied` cuts from `copied` on. */
  put(start: number, end: number, raw: string): void {
    this.out += this.text.slice(this.copied, start) + raw;
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

  /**
   * A member name at pos, as `str()` reads it, but the same string object for the same name (interned
   * per policy by a hash taken while scanning): no copy per member, and map lookups find its hash cached.
   */
  name(): string {
    const t = this.text;
    const start = this.pos + 1;
    let h = 0;
    let i = start;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 34) break;
      if (c === 92 || c < 32) return this.str();
      h = (Math.imul(h, 31) + c) | 0;
    }
    if (i >= t.length) throw new NotJson();
    this.pos = i + 1;
    return this.steps.intern(t, start, i, h);
  }

  /** A number token at pos, by the JSON grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?; pos ends after it. */
  num(): void {
    const t = this.text;
    let i = this.pos;
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
  }

  literal(word: string): void {
    if (!this.text.startsWith(word, this.pos)) throw new NotJson();
    this.pos += word.length;
  }

  /**
   * One value at pos. `key` is the nearest object key (array elements inherit it), as in the tree walker,
   * read once per name (steps.ts).
   * Returns true when the value is dropped: the caller cuts it out (object member) or writes null (array).
   */
  value(mode: number, states: States, rule: CompiledRule | undefined, key: Member | undefined, depth: number): boolean {
    this.ws();
    const c = this.text.charCodeAt(this.pos);
    if (c === 123 || c === 91) {
      if (depth >= MAX_DEPTH) throw new NotJson();
      if (c === 123) this.object(mode, states, rule, depth + 1, key);
      else this.array(mode, states, rule, key, depth + 1);
      return mode === SKIP;
    }
    const start = this.pos;
    if (c === 34) {
      const v = this.str();
      if (mode === SKIP) return true;
      if (mode === KEEP) { this.run.guard(v); return false; }
      return this.scalar(mode, rule, key, start, v, false);
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      this.num();
      if (mode === SKIP) return true;
      const src = this.text.slice(start, this.pos);
      if (mode === KEEP) { shapedNumber(this.run, 'keep', src); return false; }
      if (mode === WALK && this.f.unknown !== 'drop' && (key === undefined || key.entity === undefined)) {
        // Most numbers are model features: read as text, replaced only when card- or phone-shaped.
        const shaped = shapedNumber(this.run, this.f.unknown, src);
        if (shaped !== undefined) this.put(start, this.pos, shaped);
        return false;
      }
      const n = Number(src);
      const digitsOnly = digitTransform(mode === SPREAD ? rule!.type : key?.entity);
      // An integral float under a card or phone rule or key (4111111111111111.0) is its integer; the `.0` stays.
      const whole = digitsOnly && !INTEGER.test(src) ? integralLength(src) : -1;
      if (whole > 0) return this.scalar(mode, rule, key, start, src.slice(0, whole), true, src.slice(whole));
      // A card or phone beyond 2^53 is transformed from its digits (exact, and written back as a number);
      // any other transform of such a number reads it rounded, and its result stays a number.
      const exact = INTEGER.test(src) && !Number.isSafeInteger(n) && digitsOnly;
      return this.scalar(mode, rule, key, start, exact ? src : n, true);
    }
    this.literal(c === 116 ? 'true' : c === 102 ? 'false' : 'null');
    // Booleans and null: unchanged, except under `unknown: drop` (the tree walker drops every scalar).
    return mode === SKIP || (mode === WALK && this.f.unknown === 'drop');
  }

  /** A string or number through its rule or `unknown`; a number stays a number when its result is one. */
  scalar(mode: number, rule: CompiledRule | undefined, key: Member | undefined, start: number, v: Scalar, wasNumber: boolean, fraction = ''): boolean {
    const out = mode === SPREAD ? rule!.apply(this.run, v, key?.key, this.subjects.get(rule!)) : unknownScalarOf(this.run, this.f.unknown, v, key?.key, key?.entity, key?.opts);
    if (out === undefined || typeof out === 'symbol') return true;
    if (out === v) return false;
    const raw = wasNumber && typeof out === 'string' && /^-?\d+(?:\.\d+)?$/.test(out) ? out + fraction : jsonText(out);
    this.put(start, this.pos, raw);
    return false;
  }

  child(mode: number, states: States, rule: CompiledRule | undefined, name: string | number, key: Member | undefined, depth: number): boolean {
    if (mode !== WALK) return this.value(mode, states, rule, key, depth);
    const s = this.steps.step(states, name);
    if (s.matched < 0) return this.value(WALK, s.states, undefined, key, depth);
    const r = this.f.rules[s.matched]!;
    return this.value(r.type === 'keep' ? KEEP : r.type === 'drop' ? SKIP : SPREAD, s.states, r, key, depth);
  }

  object(mode: number, states: States, rule: CompiledRule | undefined, depth: number, parent: Member | undefined): void {
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 125) { this.pos++; return; }
    // A dropped member is cut with the comma before it; while no member is kept, each comma goes.
    let kept = false;
    let comma = -1;
    for (;;) {
      this.ws();
      const keyStart = this.pos;
      if (this.text.charCodeAt(this.pos) !== 34) throw new NotJson();
      const k = this.name();
      const member = this.steps.member(scopedKey(parent?.key, k));
      // Keys are never rewritten: personal data in a key fails the copy instead (a name the guard found
      // nothing in is not read again).
      if (mode !== SKIP) {
        const own = member.key === k ? member : this.steps.member(k);
        if (!own.clean && this.run.guard(k)) own.clean = true;
      }
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 58) throw new NotJson();
      this.pos++;
      // No member kept yet: the comma before this one goes (a dropped member then cuts from there on).
      if (mode !== SKIP && !kept && comma >= 0) this.put(comma, comma + 1, '');
      const dropped = this.child(mode, states, rule, k, member, depth);
      if (mode !== SKIP) {
        if (dropped) this.put(comma >= 0 ? comma : keyStart, this.pos, '');
        else kept = true;
      }
      this.ws();
      const at = this.pos;
      const c = this.text.charCodeAt(this.pos++);
      if (c === 125) return;
      if (c !== 44) throw new NotJson();
      comma = at;
    }
  }

  array(mode: number, states: States, rule: CompiledRule | undefined, key: Member | undefined, depth: number): void {
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 93) { this.pos++; return; }
    for (let i = 0; ; i++) {
      this.ws();
      const start = this.pos;
      const dropped = this.child(mode, states, rule, i, key, depth);
      // A dropped element becomes null: an array's length is shape.
      if (dropped && mode !== SKIP) this.put(start, this.pos, 'null');
      this.ws();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 93) return;
      if (c !== 44) throw new NotJson();
    }
  }
}

/**
 * The anonymized JSON text, or undefined when `text` is not JSON (or nested deeper than the fast path
 * goes): the caller then takes the tree walker, which also decides what invalid JSON becomes. Every
 * policy: dropped members are cut, dropped array elements become null, date-shift subjects are read by
 * one JSON.parse first. Returns `text` itself when nothing changed.
 */
export function rewriteJson(run: Run, f: FieldRules, text: string): string | undefined {
  const steps = stepsOf(f, run.ctx);
  const subjects = new Map<CompiledRule, string | undefined>();
  if (f.rules.some((r) => r.subject !== undefined)) {
    // A date-shift subject may come later in the document than the dates it shifts: read it first.
    let root: unknown;
    try { root = JSON.parse(text); } catch { return undefined; }
    for (const r of f.rules) {
      if (r.subject === undefined) continue;
      const v = valueAt(root, r.subject);
      subjects.set(r, typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
    }
  }
  const w = new Rewriter(run, f, text, subjects, steps);
  try {
    const dropped = w.value(WALK, steps.initial, undefined, undefined, 0);
    w.ws();
    if (w.pos !== text.length) return undefined;
    if (dropped) return 'null';
  } catch (err) {
    if (err instanceof NotJson || err instanceof RangeError) return undefined;
    throw err;
  }
  return w.copied === 0 ? text : w.out + text.slice(w.copied);
}
