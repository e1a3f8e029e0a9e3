// Compiles a configured transform (`email`, `{ type: bucket, edges: [...] }`, …) into a function over one
// scalar value. `drop` returns undefined; `keep` returns the value unchanged (the leak guard still looks).
import type { TransformSpec } from '../config/schema.js';
import type { TransformName } from '../config/schema/anonymize.js';
import { classifyKey, baseEntity } from './detectors/key-names.js';
import type { Segment } from '../kernel/json-path.js';
import type { Run } from './run.js';
import {
  bucketOf, pseudonym, pseudonymizeCard, pseudonymizeEmail, pseudonymizeIban, pseudonymizeIp,
  pseudonymizeName, pseudonymizePhone, pseudonymizeSsn, shiftDate, yearOf, type Scalar,
} from './transforms.js';
import { DEFAULT_GEO, pseudonymizeGeo, pseudonymizeNino, pseudonymizePassport, pseudonymizePostcode } from './transforms-entities.js';

export interface CompiledRule {
  readonly type: TransformName;
  /** date-shift: the subject's path (no wildcards), resolved per document. */
  readonly subject?: readonly Segment[];
  apply(run: Run, value: Scalar, key: string | undefined, subject: string | undefined): Scalar | undefined;
}

const LABEL: Readonly<Record<string, string>> = {
  email: 'email', phone: 'phone', card: 'card', iban: 'iban', ssn: 'ssn', ip: 'ip', name: 'person',
  'date-shift': 'dob', year: 'dob', pseudonym: 'id', bucket: 'bucket', redact: 'redacted',
  nino: 'nino', passport: 'passport', geo: 'geo', postcode: 'postcode',
};

/** `id` names the rule's memo namespace; it must be unique within one policy. */
export function compileRule(spec: TransformSpec, subject: readonly Segment[] | undefined, id: number): CompiledRule {
  const o = typeof spec === 'string' ? { type: spec } : spec;
  const type = o.type;
  const prefix = 'prefix' in o && o.prefix !== undefined ? o.prefix : '';
  const mode = 'mode' in o && o.mode !== undefined ? o.mode : 'prefix';
  const edges = 'edges' in o && o.edges !== undefined ? [...o.edges].sort((a, b) => a - b) : [0, 10, 100, 1000];
  const maxDays = 'maxDays' in o && o.maxDays !== undefined ? o.maxDays : 365;
  const label = LABEL[type] ?? type;
  // Each compiled rule gets its own short memo namespace, so two rules never share a wrong entry.
  const memoKey = `r${id}`;
  const keyed = (run: Run, v: Scalar, subj: string | undefined): Scalar => {
    const h = run.ctx.hash;
    const str = typeof v === 'string';
    switch (type) {
      case 'email': return str ? pseudonymizeEmail(h, v) : pseudonym(h, v, prefix);
      case 'phone': return pseudonymizePhone(h, v);
      case 'card': return pseudonymizeCard(h, v);
      case 'iban': return str ? pseudonymizeIban(h, v) : pseudonym(h, v, prefix);
      case 'ssn': return pseudonymizeSsn(h, v);
      case 'ip': return str ? pseudonymizeIp(h, v, mode) : pseudonym(h, v, prefix);
      case 'name': return str ? pseudonymizeName(h, v) : pseudonym(h, v, prefix);
      case 'date-shift': return shiftDate(h, v, subj ?? String(v), maxDays);
      case 'year': return yearOf(v);
      case 'bucket': return bucketOf(v, edges);
      case 'nino': return str ? pseudonymizeNino(h, v) : pseudonym(h, v, prefix);
      case 'passport': return pseudonymizePassport(h, v);
      case 'geo': return pseudonymizeGeo(h, v, run.ctx.geo ?? DEFAULT_GEO);
      case 'postcode': return pseudonymizePostcode(h, v);
      default: return pseudonym(h, v, prefix);
    }
  };
  const apply = (run: Run, v: Scalar, key: string | undefined, subj: string | undefined): Scalar | undefined => {
    if (typeof v === 'string' && v.length === 0 && type !== 'drop') return v;
    switch (type) {
      case 'drop': return undefined;
      case 'keep': return v;
      case 'text': return typeof v === 'string' ? run.scanReplace(v) : v;
      case 'redact': {
        const e = key === undefined ? undefined : classifyKey(key);
        return run.wrote('redacted', `<${e === undefined ? 'REDACTED' : baseEntity(e).toUpperCase()}>`);
      }
      case 'date-shift':
        // The subject chooses the offset: it is part of the input.
        return run.memo(label, `${memoKey}:d`, `${subj ?? ''}\u0000${typeof v}:${v}`, () => keyed(run, v, subj));
      default:
        return run.memo(label, memoKey, v, () => keyed(run, v, subj));
    }
  };
  return subject === undefined ? { type, apply } : { type, subject, apply };
}
