// A route's comparison rules: the protocol preset's defaults merged under the route's own rules, then
// compiled to one matcher over the kernel's JSON-path grammar, walked node by node with a bounded tree
// (the walk asks about every node of every answer).
import type { CompareConfig } from '../config/schema.js';
import { indexSensitive, initialStates, parseJsonPath, stepAll, type Segment, type States } from '../kernel/json-path.js';
import { BoundedMap } from '../kernel/bounded-map.js';
import { childPath, compileLabel, compilePattern, elementPath, fieldOf } from './paths.js';

type Tolerance = { readonly abs?: number | undefined; readonly rel?: number | undefined };

/** The rule fields a preset may default. */
export interface RuleSet {
  readonly ignore: readonly string[];
  readonly tolerance: Readonly<Record<string, Tolerance>>;
  readonly unordered: readonly string[];
  readonly label: string | undefined;
  readonly scores: readonly string[];
  readonly topK: Readonly<Record<string, number>>;
  readonly text: Readonly<Record<string, { readonly minSimilarity: number }>>;
}

const EMPTY: RuleSet = { ignore: [], tolerance: {}, unordered: [], label: undefined, scores: [], topK: {}, text: {} };

/** What each protocol's answers look like, so an operator gets useful diffs with one word of config. */
export const PRESETS: Readonly<Record<CompareConfig['preset'], RuleSet>> = {
  generic: EMPTY,
  // Open Inference Protocol: tensors in outputs[*].data; name and version differ between models by design.
  'kserve-v2': {
    ...EMPTY,
    ignore: ['$.id', '$.model_name', '$.model_version'],
    tolerance: { '$.outputs[*].data..*': { abs: 1e-4, rel: 1e-3 } },
  },
  'tf-serving': {
    ...EMPTY,
    ignore: ['$.model_version'],
    tolerance: { '$.predictions..*': { abs: 1e-4, rel: 1e-3 } },
  },
  // id, created, system_fingerprint and usage change on every call; model names the model, which differs on purpose.
  'openai-chat': {
    ...EMPTY,
    ignore: ['$.id', '$.created', '$.system_fingerprint', '$.usage', '$.model'],
    text: { '$.choices[*].message.content': { minSimilarity: 0.8 } },
    label: '$.choices[0].finish_reason',
  },
};

/** Preset defaults with the route's rules on top: lists are joined, maps and the label are overridden by key. */
export function effectiveRules(cfg: Readonly<CompareConfig>): RuleSet {
  const preset = PRESETS[cfg.preset];
  const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
  return {
    ignore: union(preset.ignore, cfg.ignore),
    tolerance: { ...preset.tolerance, ...cfg.tolerance },
    unordered: union(preset.unordered, cfg.unordered),
    label: cfg.label ?? preset.label,
    scores: union(preset.scores, cfg.scores),
    topK: { ...preset.topK, ...cfg.topK },
    text: { ...preset.text, ...cfg.text },
  };
}

/** Everything the diff needs to know about one node of an answer. */
export interface PathRule {
  readonly ignored: boolean;
  readonly tolerance: Tolerance | undefined;
  readonly unordered: boolean;
  readonly score: boolean;
  readonly topK: number | undefined;
  readonly minSimilarity: number | undefined;
}

/**
 * One node of an answer with its rule, and its children by member name (and by index only where a rule
 * names an index below it): the walk steps from node to node with short keys, never building and
 * hashing a long path string for a path it has seen. `path` is the normalized field (`$.items[*].score`)
 * differences are reported under; `states` are the rule paths' matcher states (src/kernel/json-path.ts).
 */
export class PathNode {
  private members: Map<string, PathNode> | undefined;
  private elements: PathNode | undefined;
  private indexed: Map<number, PathNode> | undefined;
  private readonly byIndex: boolean;

  constructor(readonly path: string, readonly rule: PathRule, readonly states: States, private readonly owner: CompiledRules) {
    this.byIndex = owner.indexSensitive(states);
  }

  member(key: string): PathNode {
    const known = this.members?.get(key);
    if (known !== undefined) return known;
    const node = this.owner.child(this, childPath(this.path, key), key);
    if (this.owner.mayGrow()) (this.members ??= new Map()).set(key, node);
    return node;
  }

  /** The node of element `index` (one shared node for every index unless a rule names an index here). */
  element(index: number): PathNode {
    if (!this.byIndex) {
      if (this.elements !== undefined) return this.elements;
      const node = this.owner.child(this, elementPath(this.path), index);
      if (this.owner.mayGrow()) this.elements = node;
      return node;
    }
    const known = this.indexed?.get(index);
    if (known !== undefined) return known;
    const node = this.owner.child(this, elementPath(this.path), index);
    if (this.owner.mayGrow()) (this.indexed ??= new Map()).set(index, node);
    return node;
  }
}

const PLAIN: PathRule = { ignored: false, tolerance: undefined, unordered: false, score: false, topK: undefined, minSimilarity: undefined };
const IGNORED: PathRule = { ...PLAIN, ignored: true };
/** Nodes remembered; answers with free-form keys must not grow the tree without bound. */
const CACHE_LIMIT = 4096;
const NO_STATES: States = [];

/** What one compiled rule path contributes where it matches. */
type Entry =
  | { readonly kind: 'ignore' }
  | { readonly kind: 'tolerance'; readonly tolerance: Tolerance }
  | { readonly kind: 'unordered' }
  | { readonly kind: 'score' }
  | { readonly kind: 'topK'; readonly k: number }
  | { readonly kind: 'text'; readonly minSimilarity: number };

export class CompiledRules {
  readonly rules: RuleSet;
  /** Paths named by the configuration, as the fields they report under (they always get their own metric label). */
  readonly configuredFields: readonly string[];
  readonly labelPath: readonly Segment[] | undefined;
  /** Every rule path, compiled by the one grammar; `entries[i]` says what `paths[i]` does where it matches. */
  private readonly paths: readonly (readonly Segment[])[];
  private readonly entries: readonly Entry[];
  /** Rules by reported field (`at`), bounded like the tree. */
  private readonly byField = new BoundedMap<string, PathRule>(CACHE_LIMIT);
  private nodes = 0;
  /** The body root `$`. */
  readonly root: PathNode;
  /** True when no rule can apply anywhere, so the walk may skip the lookups. */
  readonly trivial: boolean;
  /**
   * True when a rule measures something even between equal answers (a score delta, a text similarity, an
   * overlap@k): the diff of two byte-identical answers then still walks one parsed body. Otherwise it is
   * known without a parse: no difference, nothing measured.
   */
  readonly measures: boolean;

  constructor(cfg: Readonly<CompareConfig>) {
    const r = effectiveRules(cfg);
    this.rules = r;
    const syntax = { rfc9535: cfg.pathSyntax === 'rfc9535' };
    const paths: (readonly Segment[])[] = [];
    const entries: Entry[] = [];
    const fields: string[] = [];
    const add = (pattern: string, entry: Entry, configured: boolean) => {
      const segs = compilePattern(pattern, syntax);
      paths.push(segs);
      entries.push(entry);
      if (configured) fields.push(fieldOf(segs));
    };
    for (const p of r.ignore) add(p, { kind: 'ignore' }, false);
    for (const [p, t] of Object.entries(r.tolerance)) add(p, { kind: 'tolerance', tolerance: t }, true);
    for (const p of r.unordered) add(p, { kind: 'unordered' }, false);
    for (const p of r.scores) add(p, { kind: 'score' }, true);
    for (const [p, k] of Object.entries(r.topK)) add(p, { kind: 'topK', k }, true);
    for (const [p, t] of Object.entries(r.text)) add(p, { kind: 'text', minSimilarity: t.minSimilarity }, true);
    this.paths = paths;
    this.entries = entries;
    this.labelPath = r.label === undefined ? undefined : compileLabel(r.label);
    this.configuredFields = [...new Set([...(this.labelPath ? [fieldOf(this.labelPath)] : []), ...fields])];
    this.trivial = paths.length === 0;
    this.measures = r.scores.length > 0 || Object.keys(r.topK).length > 0 || Object.keys(r.text).length > 0;
    this.nodes++;
    this.root = new PathNode('$', PLAIN, this.trivial ? NO_STATES : initialStates(paths.length), this);
  }

  /** The node of `parent`'s child `key` (a member name or an element index), reported under `path`. */
  child(parent: PathNode, path: string, key: string | number): PathNode {
    this.nodes++;
    if (parent.rule.ignored) return new PathNode(path, IGNORED, NO_STATES, this);
    if (parent.states.length === 0) return new PathNode(path, PLAIN, NO_STATES, this);
    const s = stepAll(this.paths, parent.states, key);
    return new PathNode(path, this.resolve(s.matched), s.states, this);
  }

  mayGrow(): boolean {
    return this.nodes < CACHE_LIMIT;
  }

  indexSensitive(states: States): boolean {
    return states.length > 0 && indexSensitive(this.paths, states);
  }

  /**
   * The rule of a reported field (`$.items[*].text`), from the field alone (the comparer's tallies have no
   * indices): its `[*]` takes every rule that names any index there, so a threshold on `$.items[0].text`
   * is the field's threshold.
   */
  at(path: string): PathRule {
    if (this.trivial) return PLAIN;
    let rule = this.byField.get(path);
    if (rule !== undefined) return rule;
    const segs = parseJsonPath(path);
    rule = PLAIN;
    if (typeof segs !== 'string') {
      let states: States = initialStates(this.paths.length);
      for (const seg of segs) {
        if (seg.kind !== 'child' && seg.kind !== 'any') break;
        const keys: (string | number)[] = seg.kind === 'child' ? [seg.name] : [-1, ...this.waitingIndices(states)];
        const next: number[] = [];
        const matched: number[] = [];
        for (const key of keys) {
          const st = stepAll(this.paths, states, key);
          next.push(...st.states);
          matched.push(...st.matched);
        }
        rule = this.resolve([...new Set(matched)].sort((a, b) => a - b));
        if (rule.ignored) break;
        states = next;
      }
    }
    this.byField.set(path, rule);
    return rule;
  }

  private waitingIndices(states: States): number[] {
    const out: number[] = [];
    for (let s = 0; s < states.length; s += 2) {
      const seg = this.paths[states[s]!]![states[s + 1]!]!;
      if (seg.kind === 'index') out.push(seg.index);
    }
    return out;
  }

  private resolve(matched: readonly number[]): PathRule {
    if (matched.length === 0) return PLAIN;
    let tolerance: Tolerance | undefined;
    let unordered = false;
    let score = false;
    let topK: number | undefined;
    let minSimilarity: number | undefined;
    for (const m of matched) {
      const e = this.entries[m]!;
      switch (e.kind) {
        case 'ignore': return IGNORED;
        case 'tolerance': tolerance ??= e.tolerance; break;
        case 'unordered': unordered = true; break;
        case 'score': score = true; break;
        case 'topK': topK ??= e.k; break;
        case 'text': minSimilarity ??= e.minSimilarity; break;
      }
    }
    if (tolerance === undefined && !unordered && !score && topK === undefined && minSimilarity === undefined) return PLAIN;
    return { ignored: false, tolerance, unordered, score, topK, minSimilarity };
  }
}
