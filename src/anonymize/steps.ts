// Path steps cached per document shape: under the same path state, the same member name asks the policy
// the same question every time (which rule completes, which paths stay live), so a repeated document
// shape (every record of a batch, every request of a route) steps through interned states without
// allocating. The states a cached step returns are the keys of the next lookup (by identity).
import { indexSensitive, initialStates, step, type Segment, type States, type Step } from '../kernel/json-path.js';
import type { FieldRules } from './json-body.js';

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

  constructor(readonly paths: readonly (readonly Segment[])[]) {
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
}

const CACHES = new WeakMap<FieldRules, StepCache>();

/** The step cache of a policy's field rules (made on first use). */
export function stepsOf(f: FieldRules): StepCache {
  let c = CACHES.get(f);
  if (c === undefined) {
    c = new StepCache(f.paths);
    CACHES.set(f, c);
  }
  return c;
}
