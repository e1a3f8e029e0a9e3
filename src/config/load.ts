// Loading a configuration: YAML → `${ENV}` interpolation → zod validation. Every problem is reported
// with its path in the file (`routes[0].shadow.maxRps`), its line and column, all at once, the root cause
// first (src/config/diagnose.ts).
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, ShadowgateError } from '../errors.js';
import { compilerLine, diagnose, formatPath, problemLine, syntaxDiagnostics, type Diagnostic } from './diagnose.js';
import { configSchema, crossCheck, type Config } from './schema.js';

type Path = readonly PropertyKey[];

export { formatPath };

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

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Name shown in messages. */
  source?: string;
}

/** Parses and validates YAML text; throws ConfigError listing every problem. */
export function parseConfig(text: string, opts: LoadOptions = {}): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) throw configError(syntaxDiagnostics(doc.errors), opts.source);
  const envProblems: { path: Path; message: string }[] = [];
  const raw = interpolate(doc.toJS() ?? {}, opts.env ?? process.env, [], envProblems);
  const result = configSchema.safeParse(raw);
  const cross = crossCheck(raw);
  if (!result.success || cross.length > 0 || envProblems.length > 0) {
    throw configError(diagnose({ doc, lines, schema: configSchema, raw }, result.success ? [] : result.error.issues, cross, envProblems), opts.source);
  }
  return deepFreeze(result.data) as Config;
}

function configError(diagnostics: readonly Diagnostic[], source: string | undefined): ConfigError {
  return new ConfigError(diagnostics.map(problemLine), source, diagnostics.map((d) => compilerLine(source ?? '(config)', d)));
}

/** Reads and parses a configuration file; a file that cannot be read is a usage error (SG_ERR_USAGE), not an invalid configuration. */
export function loadConfigFile(file: string, opts: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new ShadowgateError('SG_ERR_USAGE', `cannot read the configuration file ${file}: ${why}${code ? ` (${code})` : ''}`, 400);
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
