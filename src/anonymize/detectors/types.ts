// The bounded set of entity names the engine detects, transforms and counts (also the metric label values).
export const ENTITIES = [
  'email', 'phone', 'card', 'iban', 'ssn', 'ip', 'mac', 'jwt', 'secret', 'url_credentials', 'person',
  'address', 'dob', 'id', 'credential', 'nino', 'passport', 'geo', 'postcode',
] as const;
export type Entity = (typeof ENTITIES)[number];

export interface Span {
  start: number;
  end: number;
  entity: Entity;
  /** The hit as the detectors read it (normalized: ASCII digits, decoded escapes), when not the source slice. */
  value?: string;
}

/** Appends every hit in `text` to `out`; never throws, never backtracks super-linearly. */
export type Detector = (text: string, out: Span[]) => void;

/** Runs a global regex over text and pushes the hits that pass `valid`. */
export function regexHits(re: RegExp, entity: Entity, text: string, out: Span[], valid?: (m: string) => boolean): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    if (valid === undefined || valid(m[0])) out.push({ start: m.index, end: m.index + m[0].length, entity });
  }
}
