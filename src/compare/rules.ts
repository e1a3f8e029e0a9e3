// A route's comparison rules: the protocol preset's defaults merged under the route's own rules, then
// compiled to matchers with a bounded per-path cache (the walk asks about every path of every answer).
import type { CompareConfig } from '../config/schema.js';
import { childPath, compilePattern, elementPath, parseConcretePath } from './paths.js';

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
    tolerance: { '$.outputs[*].data**': { abs: 1e-4, rel: 1e-3 } },
  },
  'tf-serving': {
    ...EMPTY,
    ignore: ['$.model_version'],
    tolerance: { '$.predictions**': { abs: 1e-4, rel: 1e-3 } },
  },
  // id, created, system_fingerprint and usage change on every call; model names the model, which differs on purpose.
  'openai-chat': {
    ...EMPTY,
    ignore: ['$.id', '$.created', '$.system_fingerprint', '$.usage', '$.model'],
    text: { '$.choices[*].message.content': { minSimilarity: 0.8 } },
    label: '$.choices[*].finish_reason',
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

/** Everything the diff needs to know about one normalized path. */
export interface PathRule {
  readonly ignored: boolean;
  readonly tolerance: Tolerance | undefined;
  readonly unordered: boolean;
  readonly score: boolean;
  readonly topK: number | undefined;
  readonly minSimilarity: number | undefined;
}

/**
 * One normalized path with its rule, and its children by member name: the walk steps from node to
 * node with short keys, never building and hashing a long path string for a path it has seen.
 */
export class PathNode {
  private members: Map<string, PathNode> | undefined;
  private elements: PathNode | undefined;

  constructor(readonly path: string, readonly rule: PathRule, private readonly owner: CompiledRules) {}

  member(key: string): PathNode {
    const known = this.members?.get(key);
    if (known !== undefined) return known;
    const node = this.owner.nodeFor(childPath(this.path, key));
    if (this.owner.mayGrow()) (this.members ??= new Map()).set(key, node);
    return node;
  }

  element(): PathNode {
    if (this.elements !== undefined) return this.elements;
    const node = this.owner.nodeFor(elementPath(this.path));
    if (this.owner.mayGrow()) this.elements = node;
    return node;
  }
}

const PLAIN: PathRule = { ignored: false, tolerance: undefined, unordered: false, score: false, topK: undefined, minSimilarity: undefined };
const IGNORED: PathRule = { ...PLAIN, ignored: true };
/** Distinct paths remembered; answers with free-form keys must not grow the cache without bound. */
const CACHE_LIMIT = 4096;

export class CompiledRules {
  readonly rules: RuleSet;
  /** Paths named by the configuration (they always get their own metric label). */
  readonly configuredFields: readonly string[];
  readonly labelPath: ReturnType<typeof parseConcretePath> | undefined;
  private readonly ignore: readonly RegExp[];
  private readonly tolerance: readonly [RegExp, Tolerance][];
  private readonly unordered: readonly RegExp[];
  private readonly scores: readonly RegExp[];
  private readonly topK: readonly [RegExp, number][];
  private readonly text: readonly [RegExp, number][];
  private readonly cache = new Map<string, PathRule>();
  private nodes = 0;
  /** The body root `$`. */
  readonly root: PathNode;
  /** True when no rule can apply anywhere, so the walk may skip the lookups. */
  readonly trivial: boolean;

  constructor(cfg: Readonly<CompareConfig>) {
    const r = effectiveRules(cfg);
    this.rules = r;
    this.ignore = r.ignore.map((p) => compilePattern(p, true));
    this.tolerance = Object.entries(r.tolerance).map(([p, t]) => [compilePattern(p), t]);
    this.unordered = r.unordered.map((p) => compilePattern(p));
    this.scores = r.scores.map((p) => compilePattern(p));
    this.topK = Object.entries(r.topK).map(([p, k]) => [compilePattern(p), k]);
    this.text = Object.entries(r.text).map(([p, t]) => [compilePattern(p), t.minSimilarity]);
    this.labelPath = r.label === undefined ? undefined : parseConcretePath(r.label);
    const labelField = r.label?.replace(/\[\s*\d+\s*\]/g, '[*]');
    this.configuredFields = [...new Set([
      ...(labelField ? [labelField] : []), ...Object.keys(r.tolerance), ...r.scores, ...Object.keys(r.topK), ...Object.keys(r.text),
    ])];
    this.trivial = this.ignore.length + this.tolerance.length + this.unordered.length + this.scores.length + this.topK.length + this.text.length === 0;
    this.root = this.nodeFor('$');
  }

  /** A node for a path; the tree stops growing at CACHE_LIMIT nodes (answers with free-form keys). */
  nodeFor(path: string): PathNode {
    this.nodes++;
    return new PathNode(path, this.at(path), this);
  }

  mayGrow(): boolean {
    return this.nodes < CACHE_LIMIT;
  }

  at(path: string): PathRule {
    if (this.trivial) return PLAIN;
    let rule = this.cache.get(path);
    if (rule === undefined) {
      rule = this.resolve(path);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(path, rule);
    }
    return rule;
  }

  private resolve(path: string): PathRule {
    if (this.ignore.some((re) => re.test(path))) return IGNORED;
    const tolerance = this.tolerance.find(([re]) => re.test(path))?.[1];
    const unordered = this.unordered.some((re) => re.test(path));
    const score = this.scores.some((re) => re.test(path));
    const topK = this.topK.find(([re]) => re.test(path))?.[1];
    const minSimilarity = this.text.find(([re]) => re.test(path))?.[1];
    if (tolerance === undefined && !unordered && !score && topK === undefined && minSimilarity === undefined) return PLAIN;
    return { ignored: false, tolerance, unordered, score, topK, minSimilarity };
  }
}
