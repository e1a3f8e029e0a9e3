// GET /admin/datasets: the recorded dataset's files (active and rotated), their record counts, and what
// was dropped on the way by reason. Counting reads files, so it is bounded per call and cached by
// (name, size, mtime): a file that did not change is never read twice.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { RecordConfig } from '../config/schema.js';
import { byLabel, parsePromText, sumOf } from '../observe/prom-text.js';

/** Bytes read (decompressed) to count records in one call; files past it report records: null. */
export const COUNT_BUDGET_BYTES = 64 * 1024 * 1024;
/** Files listed at most (keepFiles × workers is normally far below this). */
const MAX_FILES = 200;
const NEWLINE = 0x0a;

export interface DatasetFile {
  readonly name: string;
  readonly bytes: number;
  readonly modifiedAt: string;
  readonly compressed: boolean;
  /** Records (lines) in the file; null when counting it would exceed this call's budget. */
  readonly records: number | null;
}

export interface DatasetsView {
  readonly enabled: boolean;
  readonly path: string | null;
  readonly files: readonly DatasetFile[];
  readonly totals: { readonly files: number; readonly bytes: number; readonly records: number; readonly uncounted: number };
  /** Since this process started (Prometheus counters). */
  readonly written: number;
  readonly dropped: { readonly dataset: Readonly<Record<string, number>>; readonly shadow: Readonly<Record<string, number>>; readonly leaksBlocked: number };
}

const counted = new Map<string, { key: string; records: number }>();

async function countLines(path: string, compressed: boolean, budget: { left: number }): Promise<number | null> {
  let lines = 0;
  const source = createReadStream(path);
  const stream = compressed ? source.pipe(createGunzip()) : source;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      budget.left -= chunk.length;
      if (budget.left < 0) return null;
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
    }
    return lines;
  } catch {
    // A file rotated or pruned under us, or a gzip being written: not counted this time.
    return null;
  } finally {
    source.destroy();
    stream.destroy();
  }
}

async function listFiles(cfg: Readonly<RecordConfig>): Promise<DatasetFile[]> {
  const dir = dirname(cfg.path);
  const ext = extname(cfg.path);
  const stem = basename(cfg.path, ext);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const mine = names.filter((f) => f.startsWith(stem) && (f.endsWith(ext) || f.endsWith(`${ext}.gz`))).sort().slice(0, MAX_FILES);
  const budget = { left: COUNT_BUDGET_BYTES };
  const out: DatasetFile[] = [];
  for (const name of mine) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (st === undefined || !st.isFile()) continue;
    const compressed = name.endsWith('.gz');
    const key = `${st.size}:${st.mtimeMs}`;
    const cached = counted.get(path);
    let records: number | null;
    if (cached?.key === key) {
      records = cached.records;
    } else {
      records = await countLines(path, compressed, budget);
      if (records !== null) counted.set(path, { key, records });
    }
    out.push({ name, bytes: st.size, modifiedAt: st.mtime.toISOString(), compressed, records });
  }
  if (counted.size > MAX_FILES * 2) counted.clear();
  return out;
}

export async function datasetsView(cfg: Readonly<RecordConfig> | undefined, metricsText: string): Promise<DatasetsView> {
  const files = cfg === undefined ? [] : await listFiles(cfg);
  const samples = parsePromText(metricsText);
  const asRecord = (pairs: [string, number][]) => Object.fromEntries(pairs.filter(([, n]) => n > 0));
  return {
    enabled: cfg?.enabled ?? false,
    path: cfg?.path ?? null,
    files,
    totals: {
      files: files.length,
      bytes: files.reduce((s, f) => s + f.bytes, 0),
      records: files.reduce((s, f) => s + (f.records ?? 0), 0),
      uncounted: files.filter((f) => f.records === null).length,
    },
    written: sumOf(samples, 'shadowgate_dataset_records_total'),
    dropped: {
      dataset: asRecord(byLabel(samples, 'shadowgate_dataset_records_dropped_total', 'reason')),
      shadow: asRecord(byLabel(samples, 'shadowgate_shadow_dropped_total', 'reason')),
      leaksBlocked: sumOf(samples, 'shadowgate_anonymizer_leaks_blocked_total'),
    },
  };
}
