// The per-target rewrite of an anonymized copy (`shadow.rewrite`): body paths set to fixed values and
// headers set or removed, so one mirrored request addresses each model by its own name. Pure. It runs
// after anonymization and only writes operator constants, so it can add no user value to a copy.
import type { RewriteConfig, TargetRewrite } from '../config/schema.js';
import type { AnonymizedRequest } from '../exchange.js';

type Step = { readonly kind: 'member'; readonly key: string } | { readonly kind: 'index'; readonly index: number };

/** `$.a.b[0]["c d"]` → steps; the schema has already checked the syntax. */
export function parseBodyPath(path: string): Step[] {
  const steps: Step[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const at = re.lastIndex;
    const m = re.exec(path);
    if (!m) throw new Error(`bad body path ${path} at ${at}`);
    if (m[1] !== undefined) steps.push({ kind: 'member', key: m[1] });
    else if (m[2] !== undefined) steps.push({ kind: 'index', index: Number(m[2]) });
    else steps.push({ kind: 'member', key: JSON.parse(`"${m[3]!}"`) as string });
  }
  return steps;
}

type Container = Record<string, unknown> | unknown[];
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Sets `value` at `steps` in `root`; missing members become objects. Returns why it could not, or undefined. */
function setAt(root: unknown, steps: readonly Step[], value: unknown): string | undefined {
  let node: unknown = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    if (step.kind === 'member') {
      if (!isObject(node)) return 'not an object';
      if (last) {
        node[step.key] = value;
        return undefined;
      }
      if (node[step.key] === undefined || node[step.key] === null) node[step.key] = {};
      node = node[step.key];
    } else {
      if (!Array.isArray(node)) return 'not an array';
      if (step.index > node.length) return `index ${step.index} past the end`;
      if (last) {
        (node as unknown[])[step.index] = value;
        return undefined;
      }
      if (node[step.index] === undefined) node[step.index] = {};
      node = node[step.index] as Container;
    }
  }
  return 'empty path';
}

export type RewriteResult = { ok: true; request: AnonymizedRequest } | { ok: false; detail: string };

export class TargetRewriter {
  private readonly body: readonly (readonly [string, Step[], unknown])[];
  private readonly remove: ReadonlySet<string>;
  private readonly set: readonly (readonly [string, string])[];

  constructor(cfg: Readonly<TargetRewrite>) {
    this.body = Object.entries(cfg.body).map(([path, value]) => [path, parseBodyPath(path), value] as const);
    this.set = Object.entries(cfg.headers.set);
    this.remove = new Set([...cfg.headers.remove, ...this.set.map(([name]) => name)]);
  }

  /** The copy this target receives; the input is not changed. */
  apply(req: AnonymizedRequest): RewriteResult {
    let body = req.body;
    if (this.body.length > 0) {
      let doc: unknown;
      try {
        doc = JSON.parse(req.body.toString('utf8'));
      } catch {
        return { ok: false, detail: 'the copy\'s body is not JSON' };
      }
      for (const [path, steps, value] of this.body) {
        // structuredClone: a configured object value must not be shared (and mutated) between copies.
        const why = setAt(doc, steps, typeof value === 'object' && value !== null ? structuredClone(value) : value);
        if (why !== undefined) return { ok: false, detail: `cannot set ${path}: ${why}` };
      }
      body = Buffer.from(JSON.stringify(doc));
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (!this.remove.has(name)) headers[name] = value;
    for (const [name, value] of this.set) headers[name] = value;
    return { ok: true, request: { method: req.method, url: req.url, headers, body } };
  }
}

/** One rewriter per rewritten target; targets without one get the common copy. */
export function compileRewrites(cfg: Readonly<RewriteConfig> | undefined): ReadonlyMap<string, TargetRewriter> {
  const out = new Map<string, TargetRewriter>();
  for (const [target, rule] of Object.entries(cfg ?? {})) out.set(target, new TargetRewriter(rule));
  return out;
}
