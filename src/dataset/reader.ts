// Reads dataset records from several files in order, plain or gzip (detected by magic bytes). A bad
// line is reported with its file and line number and skipped; every readable record still comes out.
// A file with a manifest beside it is checked against it first (refused when it does not match); an
// encrypted file (crypt.ts) is decrypted with the key its header names.
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ShadowgateError } from '../errors.js';
import type { Verifier } from '../ledger/keys.js';
import { isEncrypted, openEncrypted } from './crypt.js';
import { checkManifest } from './manifest.js';
import { expandGlob, isGlob } from './glob.js';
import { checkRecord, DATASET_VERSION, type DatasetRecord } from './record.js';

export type ReadIssueKind = 'torn' | 'malformed' | 'future-version' | 'too-long';

export interface ReadIssue {
  readonly kind: ReadIssueKind;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface ReadOptions {
  /** Called for each skipped line; the default is to skip silently (callers should report). */
  onIssue?: (issue: ReadIssue) => void;
  /** Bytes read from disk so far (compressed bytes for gzip) out of the total size of all files. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Longest line accepted; longer lines are skipped without being held in memory. */
  maxLineBytes?: number;
  signal?: AbortSignal;
  /** Keys of encrypted files by key id (record.encryption); an encrypted file without its key is refused. */
  decryptKeys?: ReadonlyMap<string, Buffer>;
  /** Public keys a manifest's signature must verify under; none: manifests are checked by digest only. */
  manifestVerifiers?: readonly Verifier[];
}

export interface ReadItem {
  readonly record: DatasetRecord;
  readonly file: string;
  readonly line: number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const DATASET_FILE = /\.jsonl(\.gz)?$/;

export function datasetError(message: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_DATASET', message, 400);
}

/**
 * Expands the given paths (a glob for what it matches; a directory stands for its *.jsonl and *.jsonl.gz files, by name, which is
 * write order for rotated files) and checks that each exists before anything is read.
 */
export async function resolveDatasetPaths(paths: readonly string[]): Promise<{ files: string[]; totalBytes: number }> {
  if (paths.length === 0) throw datasetError('no dataset file given');
  const files: string[] = [];
  let totalBytes = 0;
  const expanded: string[] = [];
  for (const p of paths) {
    if (!isGlob(p)) expanded.push(p);
    else {
      // A quoted glob (the shell left it alone): every replica's files, merged into one report.
      const matches = await expandGlob(p);
      if (matches.length === 0) throw datasetError(`no dataset file matches ${p}`);
      expanded.push(...matches);
    }
  }
  for (const p of expanded) {
    const st = await stat(p).catch((err: NodeJS.ErrnoException) => {
      throw datasetError(err.code === 'ENOENT' ? `dataset file not found: ${p}` : `cannot read dataset ${p}: ${err.code ?? err.message}`);
    });
    if (st.isDirectory()) {
      const inDir = (await readdir(p)).filter((f) => DATASET_FILE.test(f)).sort();
      if (inDir.length === 0) throw datasetError(`dataset directory ${p} holds no .jsonl or .jsonl.gz file`);
      for (const f of inDir) {
        const full = join(p, f);
        files.push(full);
        totalBytes += (await stat(full)).size;
      }
    } else {
      files.push(p);
      totalBytes += st.size;
    }
  }
  return { files, totalBytes };
}

async function isGzip(file: string): Promise<boolean> {
  const h = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await h.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await h.close();
  }
}

/** Records of all files, in order. Throws SG_ERR_DATASET for a missing or unreadable file. */
export async function* readDataset(paths: readonly string[], opts: ReadOptions = {}): AsyncGenerator<ReadItem> {
  const { files, totalBytes } = await resolveDatasetPaths(paths);
  let doneBytes = 0;
  for (const file of files) {
    if (opts.signal?.aborted) return;
    let fileBytes = 0;
    // Before any record of it comes out: a file whose manifest does not match is refused whole.
    await checkManifest(file, opts.manifestVerifiers ?? []);
    yield* readFile(file, opts, (n) => {
      fileBytes = n;
      opts.onProgress?.(doneBytes + n, totalBytes);
    });
    doneBytes += fileBytes;
  }
}

async function* readFile(file: string, opts: ReadOptions, progress: (bytesRead: number) => void): AsyncGenerator<ReadItem> {
  const maxLine = opts.maxLineBytes ?? 64 * 1024 * 1024;
  let encryptedBytes = 0;
  const enc = (await isEncrypted(file)) ? await openEncrypted(file, opts.decryptKeys, (n) => { encryptedBytes = n; }) : undefined;
  const gzip = enc ? enc.gzip : await isGzip(file);
  const raw = enc ? Readable.from(enc.chunks, { objectMode: false }) : createReadStream(file);
  const bytesRead = () => (enc ? encryptedBytes : (raw as ReturnType<typeof createReadStream>).bytesRead);
  const source = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on('error', (err: Error) => source.destroy(err));
  const issue = (kind: ReadIssueKind, line: number, message: string) => opts.onIssue?.({ kind, file, line, message: `${file}:${line}: ${message}` });

  let lineNo = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;

  function* emit(buf: Buffer, terminated: boolean): Generator<ReadItem> {
    lineNo++;
    if (oversized) {
      issue('too-long', lineNo, `line longer than ${maxLine} bytes skipped`);
      return;
    }
    const text = buf.toString('utf8').trim();
    if (text === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The writer ends every record with a newline, so an unterminated line that does not parse is a
      // record cut by a crash, not a corrupt file.
      if (!terminated) issue('torn', lineNo, 'torn last line (cut off mid-record, e.g. by a crash) skipped');
      else issue('malformed', lineNo, 'not valid JSON; line skipped');
      return;
    }
    const checked = checkRecord(value);
    if ('record' in checked) {
      yield { record: checked.record, file, line: lineNo };
    } else if (checked.problem.kind === 'future-version') {
      issue('future-version', lineNo, `format version ${checked.problem.version} is newer than this shadowgate reads (${DATASET_VERSION}); upgrade shadowgate to read it; line skipped`);
    } else {
      issue('malformed', lineNo, `${checked.problem.reason}; line skipped`);
    }
  }

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (opts.signal?.aborted) return;
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl);
        const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
        if (pendingBytes + piece.length > maxLine) oversized = true;
        yield* emit(line, true);
        pending = [];
        pendingBytes = 0;
        oversized = false;
        start = nl + 1;
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0) {
        pendingBytes += rest.length;
        // Past the limit, stop holding the line: count its bytes only, and skip it at its newline.
        if (pendingBytes > maxLine) {
          oversized = true;
          pending = [];
        } else {
          pending.push(Buffer.from(rest));
        }
      }
      progress(bytesRead());
    }
  } catch (err) {
    // A decryption failure (a changed byte, a truncation, a wrong key) names the file itself.
    if (err instanceof ShadowgateError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (gzip && (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR')) {
      // A gzip file cut short still yields everything before the cut; say where it stopped.
      issue('torn', lineNo + 1, `gzip stream ${code === 'Z_BUF_ERROR' ? 'ends early (truncated file)' : 'is corrupt'}; records after line ${lineNo} lost`);
      return;
    }
    throw datasetError(`cannot read dataset ${file}: ${code ?? (err as Error).message}`);
  } finally {
    raw.destroy();
  }
  if (pendingBytes > 0 || oversized) yield* emit(Buffer.concat(pending), false);
  progress(bytesRead());
}
