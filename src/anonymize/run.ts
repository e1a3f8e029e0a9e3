// One request's anonymization state: replacement counts per entity, leaks found, and the first failure
// (the values this engine wrote go to the policy's bounded `recent` set, which the leak guard allows).
// Also the entity → transform table used by scanning and by the key-name classifier.
import { BoundedMap, type BoundedSet } from '../kernel/bounded-map.js';
import { encodedRuns, reencode } from './encoded.js';
import { mightContain, scanText, withCards, type ScanOptions } from './scan.js';
import type { CardOptions } from './detectors/card.js';
import type { KeyEntity } from './detectors/key-names.js';
import { baseEntity, isCategoricalKey } from './detectors/key-names.js';
import type { Entity, Span } from './detectors/types.js';
import type { KeyedHash } from './keyed.js';
import {
  pseudonym, pseudonymizeCard, pseudonymizeEmail, pseudonymizeIban, pseudonymizeIp, pseudonymizeMac,
  pseudonymizeName, pseudonymizePhone, pseudonymizeSsn, type Scalar,
} from './transforms.js';
import { DEFAULT_GEO, pseudonymizeGeo, pseudonymizeNino, pseudonymizePassport, pseudonymizePostcode, shiftDob, type GeoOptions } from './transforms-entities.js';

export interface MemoTable { readonly str: BoundedMap<string, Scalar>; readonly num: BoundedMap<number, Scalar> }

/**
 * Why a copy is not sent. `unsupported_body`: no codec reads the body's type; `malformed_body`: its codec
 * cannot parse it; `scan_limit`: a value or structure is over a bound (maxScanBytes, depth, count);
 * `policy_drops_body`: the policy would leave nothing of a non-empty body. A copy is sent whole or not at all.
 */
export type FailureReason = 'unsupported' | 'error' | 'unreadable_body' | 'body_too_large'
  | 'unsupported_body' | 'malformed_body' | 'scan_limit' | 'policy_drops_body';

export interface EngineContext {
  readonly hash: KeyedHash;
  readonly maxScanBytes: number;
  /** Values written recently by this policy (bounded), so findLeaks can allow echoed pseudonyms. */
  readonly recent: BoundedSet;
  /**
   * Short strings a full scan found nothing in (category names, currencies, repeated keys). Detection is
   * deterministic, so a repeat needs no second scan; bounded, and never holds a string with a hit.
   */
  readonly clean: BoundedSet;
  /** The same for structured scans, whose name detection is stricter (clean there is not clean as text). */
  readonly cleanStructured: BoundedSet;
  /**
   * Finished transform outputs by (transform, options) namespace, then input value: repeat users skip
   * the transform entirely. Namespaces are the entities plus the policy's rules (bounded by its config),
   * each table at most `memoSize` entries.
   */
  readonly outputs: Map<string, MemoTable>;
  readonly memoSize: number;
  /** The policy's card networks (`entities.uatpCards`); undefined: the default networks. */
  readonly cards?: CardOptions;
  /** How GPS coordinates are pseudonymized (`entities.geo`); undefined: coarsened to two places. */
  readonly geo?: GeoOptions;
}

const STRUCTURED: ScanOptions = { structured: true };
/** Entities found by their form (emails, cards, IBANs, phones, …), not names: what opaque bytes are read for. */
const STRUCTURAL: ScanOptions = { names: false };
/** Longer than any structural entity a window could cut (a private key block is cut to the window's end). */
const LONG_OVERLAP = 1024;
const CATEGORICAL: ScanOptions = { structured: true, names: false };

/**
 * How a structured value (JSON, form, query) under `key` is scanned: names need stronger evidence than in
 * free text, and none are looked for under keys of non-personal categorical data (merchant, city, …).
 */
export function fieldScanOptions(key: string | undefined): ScanOptions {
  return key !== undefined && isCategoricalKey(key) ? CATEGORICAL : STRUCTURED;
}

/**
 * A decoded layer (base64 inside a value) is read as a structured value whatever the key outside says: a
 * categorical key (`state`, `code`, `type`) says what its plain value is, not what an encoded one carries
 * (an OAuth `state` is often base64url JSON with the user's name in it).
 */
function layerOptions(opts: ScanOptions | undefined): ScanOptions | undefined {
  return opts === CATEGORICAL ? STRUCTURED : opts;
}

/** Only short strings are worth remembering: they are the ones that repeat across requests. */
const CLEAN_MAX_LENGTH = 64;

// A masked written value must break every detector's token: NUL is neither a word, digit nor space (and ASCII: no view).
const MASK = '\u0000';
/** Base64 inside base64 inside a value is read; a third layer is not looked into. */
const MAX_ENCODED_DEPTH = 2;

/** `text` with the written regions masked: what the guard rescans. */
function masked(text: string, regions: readonly number[]): string {
  if (regions.length === 0) return text;
  let out = '';
  let at = 0;
  for (let i = 0; i < regions.length; i += 2) {
    out += text.slice(at, regions[i]) + MASK.repeat(regions[i + 1]! - regions[i]!);
    at = regions[i + 1]!;
  }
  return out + text.slice(at);
}

/** A scan hit, or a re-encoded layer whose replacement text is already made (`out`). */
type Replacement = Span & { out?: string };

export class Run {
  readonly counts = new Map<string, number>();
  readonly leaks = new Set<string>();
  failure: { reason: FailureReason; detail: string } | undefined;
  /**
   * Bumped by whatever makes a pass depend on more than its input: a value written, a hit (allowed or
   * not), a key leak, a failure. A pass that leaves it unchanged computed a pure function of its input
   * under this policy (its result may be reused for the same input).
   */
  marks = 0;

  constructor(readonly ctx: EngineContext) {}

  fail(reason: FailureReason, detail: string): void {
    this.marks++;
    this.failure ??= { reason, detail };
  }

  /** Records an engine-made value and counts one replacement of `entity`. */
  wrote(entity: string, value: Scalar): Scalar {
    this.marks++;
    const s = String(value);
    this.ctx.recent.add(s);
    this.counts.set(entity, (this.counts.get(entity) ?? 0) + 1);
    return value;
  }

  /**
   * Runs a deterministic transform once per distinct input (bounded memo), then records the output.
   * `ns` names the transform and its options; `key` is the input as the transform sees it.
   */
  memo(label: string, ns: string, key: Scalar, compute: () => Scalar): Scalar {
    // One table per namespace and key type: lookups hash the value itself, never a concatenated key.
    let table = this.ctx.outputs.get(ns);
    if (table === undefined) {
      table = { str: new BoundedMap<string, Scalar>(this.ctx.memoSize), num: new BoundedMap<number, Scalar>(this.ctx.memoSize) };
      this.ctx.outputs.set(ns, table);
    }
    let out: Scalar | undefined;
    if (typeof key === 'number') {
      out = table.num.get(key);
      if (out === undefined) {
        out = compute();
        table.num.set(key, out);
      }
    } else {
      out = table.str.get(key);
      if (out === undefined) {
        out = compute();
        table.str.set(key, out);
      }
    }
    return this.wrote(label, out);
  }

  /** The shape-keeping transform for an entity (scan hits and key-classified values). */
  replaceEntity(entity: KeyEntity, value: Scalar): Scalar {
    return this.memo(baseEntity(entity), entity, value, () => this.#transformEntity(entity, value));
  }

  #transformEntity(entity: KeyEntity, value: Scalar): Scalar {
    const h = this.ctx.hash;
    const str = typeof value === 'string';
    let out: Scalar;
    switch (entity) {
      case 'email': out = str ? pseudonymizeEmail(h, value) : pseudonym(h, value, ''); break;
      case 'phone': out = pseudonymizePhone(h, value); break;
      case 'card': out = pseudonymizeCard(h, value); break;
      case 'iban': out = str ? pseudonymizeIban(h, value) : pseudonym(h, value, ''); break;
      case 'ssn': out = pseudonymizeSsn(h, value); break;
      case 'ip': out = str ? pseudonymizeIp(h, value, 'prefix') : pseudonym(h, value, ''); break;
      case 'mac': out = str ? pseudonymizeMac(h, value) : pseudonym(h, value, ''); break;
      case 'jwt': out = '<JWT>'; break;
      case 'secret': out = '<SECRET>'; break;
      case 'url_credentials': out = '<CREDENTIALS>'; break;
      case 'person': out = str ? pseudonymizeName(h, value) : pseudonym(h, value, ''); break;
      case 'person_first': out = str ? pseudonymizeName(h, value, 'first') : pseudonym(h, value, ''); break;
      case 'person_last': out = str ? pseudonymizeName(h, value, 'last') : pseudonym(h, value, ''); break;
      case 'address': out = str ? '<ADDRESS>' : pseudonym(h, value, ''); break;
      case 'dob': out = shiftDob(h, value); break;
      case 'nino': out = str ? pseudonymizeNino(h, value) : pseudonym(h, value, ''); break;
      case 'passport': out = pseudonymizePassport(h, value); break;
      case 'geo': out = pseudonymizeGeo(h, value, this.ctx.geo ?? DEFAULT_GEO); break;
      case 'postcode': out = pseudonymizePostcode(h, value); break;
      case 'id': out = pseudonym(h, value, 'id_'); break;
      case 'credential': out = pseudonym(h, value, 'cred_'); break;
    }
    return out;
  }

  /**
   * A value under a revealing key: the key names the entity unless the value itself is plainly another
   * one (an email under `contact` stays an email, not a name).
   */
  replaceByKey(entity: KeyEntity, value: Scalar): Scalar {
    if (typeof value === 'string' && value.length <= this.ctx.maxScanBytes) {
      const spans = scanText(value, withCards(undefined, this.ctx.cards));
      const only = spans.length === 1 ? spans[0]! : undefined;
      if (only !== undefined && only.start === 0 && only.end === value.length) return this.replaceEntity(only.entity, value);
    }
    return this.replaceEntity(entity, value);
  }

  /**
   * Scans free text and replaces each detected span in place (the `text` transform and `unknown: scan`).
   * Base64 runs that decode to text are anonymized inside (depth 2) and written back in their alphabet; a
   * hit found through percent-escapes is written back percent-encoded.
   */
  scanReplace(text: string, opts?: ScanOptions, depth = 0): string {
    if (text.length === 0) return text;
    if (text.length > this.ctx.maxScanBytes) {
      this.fail('scan_limit', `a text value is longer than maxScanBytes (${this.ctx.maxScanBytes})`);
      return '';
    }
    if (!mightContain(text, opts) || this.#knownClean(text, opts)) return text;
    const scanOpts = withCards(opts, this.ctx.cards);
    const spans: Replacement[] = scanText(text, scanOpts);
    if (depth < MAX_ENCODED_DEPTH) {
      const inner = encodedRuns(text, spans);
      if (inner.length > 0) {
        for (const r of inner) {
          const decoded = this.scanReplace(r.decoded, layerOptions(opts), depth + 1);
          if (decoded !== r.decoded) spans.push({ start: r.start, end: r.end, entity: 'secret', out: reencode(r, decoded) });
        }
        spans.sort((a, b) => a.start - b.start);
      }
    }
    if (spans.length === 0) {
      this.#remember(text, opts);
      return text;
    }
    this.marks++;
    let { out, regions } = this.#write(text, spans, []);
    // The leak guard on what was written: the output is rescanned with every written region masked (a
    // pseudonym of any length is never taken for a leak). A hit the first scan missed because a
    // replacement changed its context (Mrs. Barbara Yudina before a replaced Apt. 675) is replaced in a
    // second pass; whatever is still there after that is a leak.
    for (let pass = 0; ; pass++) {
      const residual = scanText(masked(out, regions), scanOpts).filter((h) => !this.ctx.recent.has(out.slice(h.start, h.end)));
      if (residual.length === 0) break;
      if (pass === 1) { for (const h of residual) this.leaks.add(h.entity); break; }
      ({ out, regions } = this.#write(out, residual, regions));
    }
    return out;
  }

  /**
   * `text` with each span replaced by its pseudonym (or its ready `out`); `regions` are the written
   * ranges of the result (flat start/end pairs, in order), those of an earlier pass (`old`, in `text`'s
   * coordinates, never overlapping `spans`) carried over.
   */
  #write(text: string, spans: readonly Replacement[], old: readonly number[]): { out: string; regions: number[] } {
    let out = '';
    let at = 0;
    let k = 0;
    const regions: number[] = [];
    const carry = (upTo: number) => {
      for (; k < old.length && old[k + 1]! <= upTo; k += 2) regions.push(out.length + old[k]! - at, out.length + old[k + 1]! - at);
    };
    for (const s of spans) {
      carry(s.start);
      out += text.slice(at, s.start);
      let rep: string;
      if (s.out !== undefined) rep = s.out;
      else {
        const source = text.slice(s.start, s.end);
        rep = String(this.replaceEntity(s.entity, s.value ?? source));
        // Found through percent-escapes or a query's `+` spaces: written back URL-encoded.
        if (s.value !== undefined && (source.includes('%') || source.replace(/\+/g, ' ') === s.value)) rep = encodeURIComponent(rep);
      }
      regions.push(out.length, out.length + rep.length);
      out += rep;
      at = s.end;
    }
    carry(text.length);
    out += text.slice(at);
    return { out, regions };
  }

  /**
   * Leak guard for a string the engine did not write (a kept value, a key, a header name): any hit that is
   * not exactly a value written recently. Base64 runs are decoded and guarded too. Linear in `text`.
   * (scanReplace guards its own output, knowing where it wrote.) True when this call found nothing at all
   * (no hit, allowed or not, at any layer): the same text will never hold anything (a caller may skip it
   * next time); false also when it only knew the text clean from the bounded clean set.
   */
  guard(text: string, opts?: ScanOptions, depth = 0): boolean {
    if (text.length === 0) return true;
    if (text.length > this.ctx.maxScanBytes) {
      this.fail('scan_limit', `a text value is longer than maxScanBytes (${this.ctx.maxScanBytes})`);
      return false;
    }
    if (!mightContain(text, opts)) return true;
    // Known clean first: most guarded strings are keys and kept values seen before (one lookup, not three).
    if (this.#knownClean(text, opts)) return false;
    if (this.ctx.recent.has(text)) { this.marks++; return false; }
    const hits = scanText(text, withCards(opts, this.ctx.cards));
    for (const hit of hits) {
      const v = text.slice(hit.start, hit.end);
      if (!this.ctx.recent.has(v)) this.leaks.add(hit.entity);
    }
    let encodedClean = true;
    let nothing = hits.length === 0;
    if (depth < MAX_ENCODED_DEPTH) {
      for (const r of encodedRuns(text, hits)) {
        if (this.ctx.recent.has(r.decoded)) { nothing = false; continue; }
        const before = this.leaks.size;
        if (!this.guard(r.decoded, layerOptions(opts), depth + 1)) nothing = false;
        if (this.leaks.size !== before) encodedClean = false;
      }
    }
    if (hits.length === 0 && encodedClean) this.#remember(text, opts);
    if (!nothing) this.marks++;
    return nothing;
  }

  /**
   * The leak guard over a long text (an opaque body's byte view): structural entities only, read in
   * windows of maxScanBytes that overlap by more than any entity's length, so no hit falls between two.
   */
  guardLong(text: string): void {
    const size = Math.max(this.ctx.maxScanBytes, 2 * LONG_OVERLAP);
    for (let at = 0; at < text.length; at += size - LONG_OVERLAP) {
      const part = text.slice(at, at + size);
      for (const hit of scanText(part, withCards(STRUCTURAL, this.ctx.cards))) {
        this.marks++;
        const v = part.slice(hit.start, hit.end);
        if (!this.ctx.recent.has(v)) this.leaks.add(hit.entity);
      }
      if (at + size >= text.length) break;
    }
  }

  /** Clean as free text implies clean under every narrower scan (structured, or without names). */
  #knownClean(text: string, opts: ScanOptions | undefined): boolean {
    return this.ctx.clean.has(text) || (opts?.structured === true && opts.names !== false && this.ctx.cleanStructured.has(text));
  }

  #remember(text: string, opts: ScanOptions | undefined): void {
    if (text.length > CLEAN_MAX_LENGTH || opts?.names === false) return;
    (opts?.structured === true ? this.ctx.cleanStructured : this.ctx.clean).add(text);
  }

  /** What `restore` needs to undo a partial pass (the JSON fast path bailing out on invalid JSON). */
  checkpoint(): { counts: Map<string, number>; leaks: Set<string>; failure: Run['failure'] } {
    return { counts: new Map(this.counts), leaks: new Set(this.leaks), failure: this.failure };
  }

  /** Values written by the undone pass stay allowed: they are engine-made pseudonyms, never input. */
  restore(c: ReturnType<Run['checkpoint']>): void {
    this.counts.clear();
    for (const [k, v] of c.counts) this.counts.set(k, v);
    this.leaks.clear();
    for (const l of c.leaks) this.leaks.add(l);
    this.failure = c.failure;
  }

  /** A value kept under a revealing key (unknown: keep, no rule) is a leak by the key-name classifier. */
  keyLeak(entity: Entity): void {
    this.marks++;
    this.leaks.add(entity);
  }
}
