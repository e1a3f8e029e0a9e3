// Config schema of dataset recording (`record:`). Owned by src/dataset/.
import { z } from 'zod';
import { duration, size } from '../units.js';

/** A 256-bit AES key (base64/base64url of 32 bytes) given inline or in a file, named by its id. */
const dataKeyFields = {
  keyId: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, { message: 'keyId: letters, digits, . _ - only' }),
  key: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
};
const oneKey = { message: 'exactly one of key or keyFile' };
const dataKeySchema = z.object(dataKeyFields).strict().refine((k) => (k.key === undefined) !== (k.keyFile === undefined), oneKey);

/** Encryption at rest of rotated files: `keyId` encrypts; `previous` keys still decrypt (rotation). */
export const encryptionSchema = z.object({ ...dataKeyFields, previous: z.array(dataKeySchema).default([]) }).strict()
  .refine((k) => (k.key === undefined) !== (k.keyFile === undefined), oneKey);
export type DataKeyConfig = z.infer<typeof dataKeySchema>;
export type EncryptionConfig = z.infer<typeof encryptionSchema>;

export const recordSchema = z.object({
  enabled: z.boolean().default(true),
  /** The active file; rotated files go beside it as `<name>-<UTC stamp>.jsonl[.gz]`. */
  path: z.string().min(1).refine((p) => !p.endsWith('.gz'), { message: 'the active file is plain JSONL; name it .jsonl and set gzip: true to compress rotated files' }),
  maxFileBytes: size.default(100 * 1024 * 1024),
  keepFiles: z.number().int().positive().default(10),
  gzip: z.boolean().default(false),
  /** Bounded queue between the shadow path and the disk; past it records are dropped and counted. */
  queueBytes: size.default(8 * 1024 * 1024),
  flushInterval: duration.default(200),
  /** AES-256-GCM of each rotated file (streamed in authenticated chunks, key id in its header). */
  encryption: encryptionSchema.optional(),
  /**
   * Each rotated file gets `<file>.manifest.json` (digest, records, time range; signed with the ledger
   * key). Default: on when a `ledger:` is configured, off otherwise.
   */
  manifest: z.boolean().optional(),
}).strict();
export type RecordConfig = z.infer<typeof recordSchema>;
