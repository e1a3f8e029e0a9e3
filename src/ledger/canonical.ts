// Canonical JSON for what is hashed and signed: object keys sorted, undefined members left out, no
// whitespace. (A local copy: src/kernel/canonical-json.ts does not exist on this base, and the one in
// compare/paths.ts writes undefined members as null.)
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
