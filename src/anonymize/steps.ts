// Path steps cached per document shape: under the same path state, the same member name asks the policy
// the same question every time (which rule completes, which paths stay live), so a repeated document
// shape (every record of a batch, every request of a route) steps through interned states without
// allocating. The states a cached step returns are the keys of the next lookup (by identity).
import { indexSensitive, initialStates, step, type Segment, type States, type Step } from '../kernel/json-path.js';
import { classifyKey, type KeyEntity } from './detectors/key-names.js';
import type { FieldRules } from './json-body.js';
import { fieldScanOptions, type EngineContext } from './run.js';
import type { ScanOptions } from './scan.js';

/** What the policy reads from a member name, asked once per name (the classifiers are pure). */
export interface Member {
  readonly key: string;
  /** classifyKey(key). */
  readonly entity: KeyEntity | undefined;
  /** fieldScanOptions(key): how a value under it is scanned. */
  readonly opts: ScanOptions;
  /**
   * The leak guard found nothing at all in the name (no hit, nothing encoded): detection is deterministic,
   * so it never needs asking again. Set by the walker; a name with an allowed hit is guarded every time.
   */
  clean: boolean;
}

/** Member names kept per policy before the table starts over. */
const MAX_MEMBERS = 4096;

/** Edges kept per policy before the cache starts over (a document of many distinct names cannot grow it). */
const MAX_EDGES = 4096;
/** The one edge of an array under states that no `[N]` selector waits on: every index steps alike. */
const ANY_INDEX = -1;

interface Node {
  readonly edges: Map<string | number, Step>;
  readonly indexSensitive: boolean;
}

export class StepCache {
  readonly initial: States;
  #nodes = new Map<States, Node>();
  #edges = 0;
  #members = new Map<string, Member>();
  #names = new Map<number, string>();

  constructor(readonly paths: readonly (readonly Segment[])[], readonly ctx: EngineContext) {
    this.initial = initialStates(paths.length);
  }

  /** `step(paths, states, key)`, the same result object for the same (states, key). */
  step(states: States, key: string | number): Step {
    if (states.length === 0) return step(this.paths, states, key);
    let node = this.#nodes.get(states);
    if (node === undefined) {
      node = { edges: new Map(), indexSensitive: indexSensitive(this.paths, states) };
      this.#nodes.set(states, node);
    }
    const k = typeof key === 'number' && !node.indexSensitive ? ANY_INDEX : key;
    let s = node.edges.get(k);
    if (s === undefined) {
      s = step(this.paths, states, key);
      if (++this.#edges > MAX_EDGES) {
        this.#nodes = new Map();
        this.#edges = 0;
      } else node.edges.set(k, s);
    }
    return s;
  }

  /** `text.slice(start, end)`, the interned copy when this name was seen before (`hash` of its code units). */
  intern(text: string, start: number, end: number, hash: number): string {
    const known = this.#names.get(hash);
    if (known !== undefined && known.length === end - start && text.startsWith(known, start)) return known;
    const name = text.slice(start, end);
    if (this.#names.size >= MAX_MEMBERS) this.#names = new Map();
    this.#names.set(hash, name);
    return name;
  }

  /** The member name `key` as the policy reads it (the same object for the same name). */
  member(key: string): Member {
    let m = this.#members.get(key);
    if (m === undefined) {
      m = { key, entity: classifyKey(key), opts: fieldScanOptions(key), clean: false };
      if (this.#members.size >= MAX_MEMBERS) this.#members = new Map();
      this.#members.set(key, m);
    }
    return m;
  }
}

const CACHES = new WeakMap<FieldRules, StepCache>();

/**
 * The step cache of a policy's field rules in its engine context (made on first use; a member's `clean`
 * holds for the context's scan options only, so another context starts a new one).
 */
export function stepsOf(f: FieldRules, ctx: EngineContext): StepCache {
  let c = CACHES.get(f);
  if (c === undefined || c.ctx !== ctx) {
    c = new StepCache(f.paths, ctx);
    CACHES.set(f, c);
  }
  return c;
}
