// Config schema of dataset recording (`record:`). Owned by src/dataset/.
import { z } from 'zod';
import { duration, size } from '../units.js';

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
}).strict();
export type RecordConfig = z.infer<typeof recordSchema>;
