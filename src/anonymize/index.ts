// The anonymization engine's public API: createAnonymizer resolves the key and compiles the policies in
// use once; each CompiledPolicy anonymizes requests and leak-guards other text. Pure: no sockets, no timers.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AnonymizeConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { KeyedHash } from './keyed.js';
import { compilePolicy, type CompiledPolicy } from './policy.js';

export type { AnonymizeOutcome, CompiledPolicy } from './policy.js';
export { ENTITIES, type Entity } from './detectors/types.js';
import { ENTITIES } from './detectors/types.js';

/** Every entity name an outcome's `replacements` may carry: the bounded label set for metrics. */
export const REPLACEMENT_LABELS: readonly string[] = [...ENTITIES, 'redacted', 'bucket'];
export { scanText } from './scan.js';

export interface Anonymizer {
  policy(name: string): CompiledPolicy | undefined;
}

export const MIN_KEY_BYTES = 32;

/** The key bytes, or a problem that names where the key should come from, never the key itself. */
function resolveKey(cfg: AnonymizeConfig): Buffer | string {
  let key: Buffer;
  if (cfg.key !== undefined && cfg.key !== '') {
    key = Buffer.from(cfg.key, 'utf8');
  } else if (cfg.keyFile !== undefined) {
    try {
      key = Buffer.from(readFileSync(cfg.keyFile, 'utf8').trim(), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      return `anonymize.keyFile: cannot read the key file (${code})`;
    }
  } else {
    return 'anonymize.key: no key is set; set anonymize.key (e.g. key: ${SHADOWGATE_KEY}) or anonymize.keyFile; `shadowgate keygen` prints a fresh one';
  }
  if (key.length < MIN_KEY_BYTES) {
    return `anonymize.${cfg.key !== undefined && cfg.key !== '' ? 'key' : 'keyFile'}: the key is ${key.length} bytes, at least ${MIN_KEY_BYTES} are required (\`shadowgate keygen\` prints one)`;
  }
  return key;
}

export function createAnonymizer(cfg: AnonymizeConfig, inUse: readonly string[]): Anonymizer {
  const names = [...new Set(inUse)].filter((n) => n !== 'none');
  const problems: string[] = [];
  for (const n of names) if (cfg.policies[n] === undefined) problems.push(`anonymize.policies: policy "${n}" is in use but not defined`);
  if (names.length === 0) {
    if (problems.length > 0) throw new ConfigError(problems);
    return { policy: () => undefined };
  }
  const key = resolveKey(cfg);
  if (typeof key === 'string') {
    throw new ConfigError([`${key} (needed by policy ${names.map((n) => `"${n}"`).join(', ')})`, ...problems]);
  }
  const hash = new KeyedHash(key, cfg.cacheSize);
  const compiled = new Map<string, CompiledPolicy>();
  for (const n of names) {
    const p = cfg.policies[n];
    if (p === undefined) continue;
    const c = compilePolicy(n, p, hash, cfg.maxScanBytes, cfg.cacheSize);
    if (Array.isArray(c)) problems.push(...c);
    else compiled.set(n, c);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { policy: (name: string) => compiled.get(name) };
}

/** A fresh 32-byte key, base64url (43 characters), for `shadowgate keygen`. */
export function generateKey(): string {
  return randomBytes(MIN_KEY_BYTES).toString('base64url');
}
