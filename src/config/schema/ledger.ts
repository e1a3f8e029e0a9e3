// Config schema of the signed lineage ledger (`ledger:`). Owned by src/ledger/.
import { z } from 'zod';
import { duration } from '../units.js';

/** An Ed25519 private key: PEM (PKCS#8) text, or its 32-byte seed in base64/base64url. */
export const ledgerSchema = z.object({
  /** The append-only JSONL ledger; `<path>.head` beside it holds the signed latest hash. */
  path: z.string().min(1),
  /** A file holding the private key (PEM or base64 seed); or `key` (e.g. `${SHADOWGATE_LEDGER_KEY}`). */
  keyFile: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  /** PEM public-key files of earlier ledger keys: manifests they signed still verify after a key rotation. */
  previousPublicKeys: z.array(z.string().min(1)).default([]),
  /**
   * Where experiment entries go: `file` (absent: this process's `path`), or `redis` — one ledger stream for the
   * whole fleet (state.backend redis), chained and signed by the judge; every replica forwards to it.
   */
  stream: z.enum(['file', 'redis']).optional(),
  /**
   * With `stream: redis`: how long the replica that starts or concludes an experiment waits for the fleet's
   * other replicas to cut and seal their dataset files; one that has not answered by then is named missing.
   */
  cutTimeout: duration.default(30_000),
}).strict().refine((l) => (l.keyFile === undefined) !== (l.key === undefined), { message: 'ledger needs exactly one of keyFile or key (an Ed25519 private key)' });
export type LedgerConfig = z.infer<typeof ledgerSchema>;
