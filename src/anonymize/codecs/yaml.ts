// YAML with the `yaml` package (already a dependency: the config loader's parser; YAML 1.2 core schema):
// every document of the stream is walked as its node tree — a mapping key is a path segment and the key of
// its value, a sequence item an index — so `$.patient.dob` and the key-name classifier act as on JSON.
// Scalars are replaced in place (their style kept), integers read as written (no rounding past 2^53),
// comments scanned as free text, aliases left pointing at their (anonymized) anchors. A stream the parser
// reports errors for is malformed_body; a tag the core schema does not know (binary, timestamps) is
// unsupported_body.
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { Document, Node, Scalar } from 'yaml';
import { DROP, unknownScalar, type FieldRules } from '../json-body.js';
import type { Run } from '../run.js';
import { childScope, fieldValue, freeText, MAX_DEPTH, MAX_NODES, rootScope, type Scope } from './fields.js';

const INTEGER = /^-?\d+$/;

// `yaml` loads (synchronously) with the first YAML body, not with the shadow thread (docs/memory.md).
let lib: typeof YamlLib | undefined;
const yaml = (): typeof YamlLib => (lib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);

class YamlWalk {
  nodes = 0;
  constructor(readonly run: Run, readonly f: FieldRules) {}

  comments(node: { commentBefore?: string | null; comment?: string | null }): void {
    if (node.commentBefore) node.commentBefore = freeText(this.run, this.f.unknown, node.commentBefore);
    if (node.comment) node.comment = freeText(this.run, this.f.unknown, node.comment);
  }

  /** The new value of a scalar, or DROP. */
  scalar(node: Scalar, scope: Scope, key: string | undefined): unknown {
    this.comments(node);
    const v = node.value;
    if (typeof v === 'string') {
      const out = fieldValue(this.run, this.f, scope, v, key);
      return out === undefined ? DROP : out;
    }
    if (typeof v === 'number' || typeof v === 'bigint') {
      // Integers as their digits (a 16-digit card is not rounded); a replaced integer stays an integer.
      const exact = typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v;
      let out: unknown;
      if (scope.rule >= 0) {
        const rule = this.f.rules[scope.rule]!;
        out = rule.type === 'keep' ? v : rule.type === 'drop' ? DROP : rule.apply(this.run, exact, key, undefined) ?? DROP;
        if (rule.type === 'keep' && typeof exact === 'string') this.run.guard(exact);
      } else {
        out = unknownScalar(this.run, this.f.unknown, exact, key);
      }
      if (out === exact) return v;
      if (typeof out === 'string' && INTEGER.test(out)) return BigInt(out);
      return out;
    }
    if (v === null || typeof v === 'boolean') {
      if (scope.rule >= 0) return this.f.rules[scope.rule]!.type === 'drop' ? DROP : v;
      return this.f.unknown === 'drop' ? DROP : v;
    }
    this.run.fail('unsupported_body', `a YAML value of type ${node.tag ?? typeof v} no codec reads`);
    return v;
  }

  node(node: Node | null, scope: Scope, key: string | undefined, depth: number): unknown {
    if (node === null) return null;
    if (++this.nodes > MAX_NODES || depth > MAX_DEPTH) {
      this.run.fail('scan_limit', `the YAML body has more than ${MAX_NODES} nodes or ${MAX_DEPTH} levels`);
      return node;
    }
    if (yaml().isScalar(node)) return this.scalar(node, scope, key);
    if (yaml().isAlias(node)) return node;
    this.comments(node);
    if (yaml().isMap(node)) {
      const kept = [];
      for (const pair of node.items) {
        const k = pair.key;
        let name: string | undefined;
        if (yaml().isScalar(k)) {
          this.comments(k);
          name = String(k.value);
          this.run.guard(name);
        } else if (k !== null && k !== undefined) {
          // A complex key is walked like a value.
          this.node(k as Node, scope, undefined, depth + 1);
        }
        const child = name === undefined ? scope : childScope(this.f, scope, name);
        const out = this.value(pair.value as Node | null, child, name ?? key, depth);
        if (out === DROP) continue;
        kept.push(pair);
      }
      node.items = kept;
    } else if (yaml().isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const out = this.value(node.items[i] as Node | null, childScope(this.f, scope, i), key, depth);
        if (out === DROP) node.items[i] = new (yaml().Scalar)(null);
      }
    }
    return node;
  }

  /** A child node: scalars get their new value in place; DROP tells the parent to remove it. */
  value(node: Node | null, scope: Scope, key: string | undefined, depth: number): unknown {
    if (scope.rule >= 0 && this.f.rules[scope.rule]!.type === 'drop') return DROP;
    if (node !== null && yaml().isScalar(node)) {
      const out = this.scalar(node, scope, key);
      if (out !== DROP) node.value = out;
      return out;
    }
    return this.node(node, scope, key, depth + 1);
  }
}

/** The anonymized YAML stream, or undefined once run.fail says why not. */
export function anonymizeYaml(run: Run, f: FieldRules, text: string): string | undefined {
  let docs: ReturnType<typeof YamlLib.parseAllDocuments>;
  try {
    docs = yaml().parseAllDocuments(text, { intAsBigInt: true, prettyErrors: false, uniqueKeys: false, strict: true });
  } catch {
    run.fail('malformed_body', 'the YAML body cannot be parsed');
    return undefined;
  }
  // Only comments (or nothing): free text.
  if (!Array.isArray(docs)) return freeText(run, f.unknown, text);
  const walk = new YamlWalk(run, f);
  const root = rootScope(f);
  const out: string[] = [];
  for (const doc of docs as Document.Parsed[]) {
    if (doc.errors.length > 0) {
      run.fail('malformed_body', `the YAML body is malformed: ${doc.errors[0]!.code}`);
      return undefined;
    }
    walk.comments(doc);
    const contents = doc.contents;
    if (contents !== null && yaml().isScalar(contents)) {
      const v = walk.scalar(contents, root, undefined);
      contents.value = v === DROP ? null : v;
    } else {
      walk.node(contents, root, undefined, 0);
    }
    if (run.failure !== undefined) return undefined;
    out.push(doc.toString({ lineWidth: 0 }));
  }
  return out.join('');
}
