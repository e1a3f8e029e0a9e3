// quality.reference.dataset (docs/quality.md): a route's quality reference read from a recorded dataset
// instead of learned from its first copies. Each file is verified against its manifest before any record
// is used (the signature too when a ledger key is configured, as replay does), encrypted files decrypt
// with record.encryption's keys; the first `referenceSize` records of the route become the reference,
// each observed as the shadow thread observed the copy live (the record's `features` say which values
// the policy replaced), so the profile equals the one the same traffic builds live.
import { existsSync } from 'node:fs';
import type { Config, RouteConfig } from '../config/schema.js';
import { loadDataKeys } from '../dataset/crypt.js';
import { manifestPath } from '../dataset/manifest.js';
import { readDataset, resolveDatasetPaths } from '../dataset/reader.js';
import { decodeBody } from '../dataset/record.js';
import { ShadowgateError } from '../errors.js';
import { ledgerVerifiers } from '../ledger/keys.js';
import { observeRecorded, type Observed } from '../quality/index.js';
import { json, threadQuality } from '../shadow-threads/quality.js';

export interface QualityReference {
  readonly rows: { readonly features: readonly Observed[]; readonly ts: number }[];
  readonly files: readonly string[];
}

/** The reference of `config.routes[index]` from its dataset; throws SG_ERR_DATASET naming the path in the config. */
export async function readQualityReference(config: Config, index: number): Promise<QualityReference> {
  const r: RouteConfig = config.routes[index]!;
  const q = threadQuality(r);
  const ref = r.quality?.reference;
  if (q === undefined || ref === undefined || r.quality === undefined) throw new Error(`route ${r.name} has no quality.reference`);
  const where = `routes[${index}].quality.reference.dataset`;
  const refuse = (why: string) => new ShadowgateError('SG_ERR_DATASET', `${where} (${ref.dataset}): ${why}`);
  const route = ref.route ?? r.name;
  const size = r.quality.referenceSize;
  const verifiers = config.ledger ? ledgerVerifiers(config.ledger) : [];
  try {
    const { files } = await resolveDatasetPaths([ref.dataset]);
    // Sealed files only (unless requireManifest: false); readDataset verifies each file against its manifest
    // (digest, and signature with a ledger key) before any of its records comes out.
    if (ref.requireManifest) for (const f of files) if (!existsSync(manifestPath(f))) throw refuse(`dataset file ${f} has no manifest beside it (not sealed; requireManifest: false to use it anyway)`);
    const rows: { features: Observed[]; ts: number }[] = [];
    const used = new Set<string>();
    let skipped = 0;
    const items = readDataset(files, {
      ...(config.record?.encryption ? { decryptKeys: loadDataKeys(config.record.encryption).byId } : {}),
      manifestVerifiers: verifiers,
      onIssue: () => { skipped++; },
    });
    for await (const { record, file, line } of items) {
      if (record.route !== route) continue;
      const req = record.request;
      const enc = req.headers['content-encoding'];
      const body = json(decodeBody(req.body, req.bodyEncoding), enc, q.maxBytes);
      // As live: a body that is not JSON is not observed.
      if (body === undefined) continue;
      let replaced: Set<string> | undefined;
      if (record.policy !== 'none') {
        const modes = record.features;
        const unknown = modes === undefined ? q.features.map((f) => f.path) : q.features.filter((f) => modes[f.path] === undefined).map((f) => f.path);
        if (unknown.length > 0) throw refuse(`${file}:${line}: the record does not say whether the policy kept ${unknown.join(', ')} (recorded without these quality features)`);
        replaced = new Set(q.features.filter((f) => modes![f.path] === 'replaced').map((f) => f.path));
      }
      rows.push({ features: observeRecorded(q.features, body, replaced), ts: record.ts });
      used.add(file);
      if (rows.length === size) break;
    }
    if (rows.length < size) throw refuse(`holds ${rows.length} usable records of route "${route}"${skipped > 0 ? ` (${skipped} unreadable lines skipped)` : ''}; quality.referenceSize is ${size}`);
    return { rows, files: files.filter((f) => used.has(f)) };
  } catch (err) {
    if (err instanceof ShadowgateError && err.message.startsWith(where)) throw err;
    throw refuse(err instanceof Error ? err.message : String(err));
  }
}

/** check-config: every route's reference dataset read as serve reads it at start; one line per refusal. */
export async function checkQualityReferences(config: Config): Promise<string[]> {
  const out: string[] = [];
  for (const [i, r] of config.routes.entries()) {
    if (r.quality?.reference === undefined || r.shadow === undefined) continue;
    await readQualityReference(config, i).catch((err: unknown) => { out.push(err instanceof Error ? err.message : String(err)); });
  }
  return out;
}
