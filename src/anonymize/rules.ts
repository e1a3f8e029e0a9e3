// Compiles a configured transform (`email`, `{ type: bucket, edges: [...] }`, …) into a function over one
// scalar value. `drop` returns undefined; `keep` returns the value unchanged (the leak guard still looks).
import type { TransformSpec } from '../config/schema.js';
import type { TransformName } from '../config/schema/anonymize.js';
import { classifyKey, baseEntity } from './detectors/key-names.js';
import type { Segment } from './json-path.js';
import type { Run } from './run.js';
import {
  bucketOf, pseudonym, pseudonymizeCard, pseudonymizeEmail, pseudonymizeIban, pseudonymizeIp,
  pseudonymizeName, pseudonymizePhone, pseudonymizeSsn, shiftDate, yearOf, type Scalar,
} from './transforms.js';

export interface CompiledRule {
  readonly type: TransformName;
  /** date-shift: the subject's path (no wildcards), resolved per document. */
  readonly subject?: readonly Segment[];
  apply(run: Run, value: Scalar, key: string | undefined, subject: string | undefined): Scalar | undefined;
}

const LABEL: Readonly<Record<string, string>> = {
  email: 'email', phone: 'phone', card: 'card', iban: 'iban', ssn: 'ssn', ip: 'ip', name: 'person',
  'date-shift': 'dob', year: 'dob', pseudonym: 'id', bucket: 'bucket', redact: 'redacted',
};

export function compileRule(spec: TransformSpec, subject: readonly Segment[] | undefined): CompiledRule {
  const o = typeof spec === 'string' ? { type: spec } : spec;
  const type = o.type;
  const prefix = 'prefix' in o && o.prefix !== undefined ? o.prefix : '';
  const mode = 'mode' in o && o.mode !== undefined ? o.mode : 'prefix';
  const edges = 'edges' in o && o.edges !== undefined ? [...o.edges].sort((a, b) => a - b) : [0, 10, 100, 1000];
  const maxDays = 'maxDays' in o && o.maxDays !== undefined ? o.maxDays : 365;
  const label = LABEL[type] ?? type;
  const apply = (run: Run, v: Scalar, key: string | undefined, subj: string | undefined): Scalar | undefined => {
    const h = run.ctx.hash;
    const str = typeof v === 'string';
    if (str && v.length === 0 && type !== 'drop') return v;
    switch (type) {
      case 'drop': return undefined;
      case 'keep': return v;
      case 'text': return str ? run.scanReplace(v) : v;
      case 'redact': {
        const e = key === undefined ? undefined : classifyKey(key);
        return run.wrote('redacted', `<${e === undefined ? 'REDACTED' : baseEntity(e).toUpperCase()}>`);
      }
      case 'pseudonym': return run.wrote(label, pseudonym(h, v, prefix));
      case 'email': return run.wrote(label, str ? pseudonymizeEmail(h, v) : pseudonym(h, v, prefix));
      case 'phone': return run.wrote(label, pseudonymizePhone(h, v));
      case 'card': return run.wrote(label, pseudonymizeCard(h, v));
      case 'iban': return run.wrote(label, str ? pseudonymizeIban(h, v) : pseudonym(h, v, prefix));
      case 'ssn': return run.wrote(label, pseudonymizeSsn(h, v));
      case 'ip': return run.wrote(label, str ? pseudonymizeIp(h, v, mode) : pseudonym(h, v, prefix));
      case 'name': return run.wrote(label, str ? pseudonymizeName(h, v) : pseudonym(h, v, prefix));
      case 'date-shift': return run.wrote(label, shiftDate(h, v, subj ?? String(v), maxDays));
      case 'year': return run.wrote(label, yearOf(v));
      case 'bucket': return run.wrote(label, bucketOf(v, edges));
    }
  };
  return subject === undefined ? { type, apply } : { type, subject, apply };
}
