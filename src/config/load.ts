// Loading a configuration: YAML → `${ENV}` interpolation → zod validation. Every problem is reported
// with its path in the file (`routes[0].shadow.maxRps`) and its line, all at once, never one by one.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, crossCheck, type Config } from './schema.js';

type Path = readonly PropertyKey[];

/** `routes[0].shadow.maxRps` */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

function scalarOf(text: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/** Replaces `${NAME}` and `${NAME:-default}` in every string of the tree; a missing variable is a problem. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[], problems: { path: Path; message: string }[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const whole = WHOLE_REF.exec(value);
    const replaced = value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path: [...path], message: `environment variable ${name} is not set` });
      return '';
    });
    // `port: ${PORT}` means a number, as if the value had been written there: a value that is one
    // reference and nothing else is read as a YAML scalar (numbers and booleans), any other stays text.
    return whole ? scalarOf(replaced) : replaced;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], problems));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, [...path, k], problems);
    return out;
  }
  return value;
}

function lineOf(doc: ReturnType<typeof parseDocument>, lines: LineCounter, path: Path): number | undefined {
  // Walk as deep as the document goes: a missing key is reported at its parent's line.
  let node: unknown = doc.contents;
  let found: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      found = (pair.key as Node | null) ?? found;
      node = pair.value;
      if (node && (isMap(node) || isSeq(node) || isScalar(node))) found = isScalar(node) ? node : found;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node && (isMap(node) || isSeq(node) || isScalar(node))) found = node;
    } else break;
  }
  const offset = found?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Name shown in messages. */
  source?: string;
}

/** Parses and validates YAML text; throws ConfigError listing every problem. */
export function parseConfig(text: string, opts: LoadOptions = {}): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`), opts.source);
  }
  const problems: { path: Path; message: string }[] = [];
  const raw = interpolate(doc.toJS() ?? {}, opts.env ?? process.env, [], problems);
  const result = configSchema.safeParse(raw);
  problems.push(...crossCheck(raw));
  if (!result.success) problems.push(...result.error.issues.map((i: z.core.$ZodIssue) => ({ path: i.path, message: i.message })));
  if (problems.length > 0) {
    throw new ConfigError(problems.map((p) => {
      const line = lineOf(doc, lines, p.path);
      return `${formatPath(p.path)}${line ? ` (line ${line})` : ''}: ${p.message}`;
    }), opts.source);
  }
  return deepFreeze(result.data!) as Config;
}

export function loadConfigFile(file: string, opts: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(text, { ...opts, source: opts.source ?? file });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
