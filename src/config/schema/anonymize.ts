// Config schema of the anonymization engine (`anonymize:` in the file). Owned by src/anonymize/.
import { z } from 'zod';
import { size } from '../units.js';

export const TRANSFORM_NAMES = [
  'drop', 'redact', 'pseudonym', 'email', 'phone', 'card', 'iban', 'ssn', 'ip', 'name',
  'date-shift', 'year', 'bucket', 'keep', 'text', 'nino', 'passport', 'geo', 'postcode',
] as const;
export type TransformName = (typeof TRANSFORM_NAMES)[number];

/** A transform: its bare name, or an object with its options. */
export const transformSpec = z.union([
  z.enum(TRANSFORM_NAMES),
  z.object({
    type: z.enum(TRANSFORM_NAMES),
    /** pseudonym: the prefix before the 16 base32 characters (default none). */
    prefix: z.string().max(32).optional(),
    /** ip: keep the network prefix (/24, /48; the default) or map into documentation ranges. */
    mode: z.enum(['prefix', 'documentation']).optional(),
    /** bucket: edges; a value becomes the range that holds it (`<18`, `18-30`, `65+`). Default 0, 10, 100, 1000. */
    edges: z.array(z.number()).min(1).optional(),
    /** date-shift: JSON path of the subject whose key chooses the offset (default: the date itself); max shift in days (default 365). */
    subject: z.string().optional(),
    maxDays: z.number().int().positive().max(3650).optional(),
  }).strict(),
]);
export type TransformSpec = z.infer<typeof transformSpec>;

export const entityOptionsSchema = z.object({
  /** UATP cards (15 digits starting with 1) are cards: off by default, they collide with ordinary ids. */
  uatpCards: z.boolean().default(false),
  /** GPS coordinates: rounded to `decimals` places (coarsen, the default: 2 ≈ 1.1 km) or moved by a keyed offset of up to `shiftMeters`. */
  geo: z.object({
    mode: z.enum(['coarsen', 'shift']).default('coarsen'),
    decimals: z.number().int().min(0).max(6).default(2),
    shiftMeters: z.number().positive().max(100_000).default(2000),
  }).strict().default({ mode: 'coarsen', decimals: 2, shiftMeters: 2000 }),
}).strict();
export type EntityOptions = z.infer<typeof entityOptionsSchema>;

export const policySchema = z.object({
  headers: z.object({ keep: z.array(z.string()).default([]) }).strict().default({ keep: [] }),
  query: z.record(z.string(), transformSpec).default({}),
  /** Path templates, e.g. `/v1/users/{id}/score`, and a transform per named segment. */
  pathParams: z.array(z.object({
    template: z.string().startsWith('/'),
    params: z.record(z.string(), transformSpec),
  }).strict()).default([]),
  form: z.record(z.string(), transformSpec).default({}),
  /** JSON paths: `$.a.b`, `$.items[*].email`, `$..email`. */
  fields: z.record(z.string(), transformSpec).default({}),
  unknown: z.enum(['scan', 'drop', 'keep']).default('scan'),
  /** Send a body no codec reads (octet-stream, images, …) as it is when the byte-level leak guard finds nothing; by default such a copy is dropped as unsupported_body (docs/formats.md). */
  keepUnknownBodies: z.boolean().default(false),
  /** Options of the structural detectors and their pseudonyms (docs/entities.md). Absent: the defaults. */
  entities: entityOptionsSchema.optional(),
}).strict();
export type PolicyConfig = z.infer<typeof policySchema>;

export const anonymizeSchema = z.object({
  key: z.string().optional(),
  keyFile: z.string().optional(),
  /** Upper bound on the bytes of one string value that detectors scan. */
  maxScanBytes: size.default(64 * 1024),
  /** Memoized HMAC results (entries). */
  cacheSize: z.number().int().positive().default(50_000),
  policies: z.record(z.string(), policySchema).default({}),
}).strict();
export type AnonymizeConfig = z.infer<typeof anonymizeSchema>;
