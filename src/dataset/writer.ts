// Rotating JSONL dataset writer: the shadow path enqueues records into a bounded queue and returns at
// once; batches of whole lines go to disk off the hot path. A full queue drops and counts, never grows.
// A rotated file is sealed in the background: gzipped, encrypted (record.encryption), given a signed
// manifest and a `dataset.rotated` ledger entry (docs/lineage.md).
import cluster from 'node:cluster';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { RecordConfig } from '../config/schema.js';
import type { Metrics } from '../observe/metrics.js';
import { policyRef, type EntryInput, type Ledger } from '../ledger/ledger.js';
import { encryptFileInPlace, loadDataKeys, type DataKeys } from './crypt.js';
import { manifestPath, scanRecords, writeManifest, type RecordStats } from './manifest.js';
import type { DatasetRecord } from './record.js';

export type DropReason = 'queue_full' | 'too_large' | 'closed' | 'io_error';

export interface WriterStats {
  readonly queuedRecords: number;
  readonly queuedBytes: number;
  readonly written: number;
  readonly dropped: number;
  readonly rotations: number;
}

/** Open writers by path, oldest first: a new writer of a file opens it only after the older ones let go. */
const writersByPath = new Map<string, DatasetWriter[]>();

/** A flush starts early once this much is queued, so batches stay large but the queue rarely fills. */
const EAGER_FLUSH_BYTES = 256 * 1024;

export class DatasetWriter {
  private readonly cfg: Readonly<RecordConfig>;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  /** The active file (cfg.path, or its per-worker name). */
  readonly path: string;
  private readonly dir: string;
  private readonly stem: string;
  private readonly ext: string;
  private queue: string[] = [];
  private queuedBytes = 0;
  /** Bytes of the batch being written now (taken off the queue, not yet on disk). */
  private writingBytes = 0;
  private handle: FileHandle | undefined;
  private fileBytes = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private background: Promise<void> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private ioFailing = false;
  /** A failed write of ours may have left a partial line that could not be cut at once. */
  private partialTail = false;
  private lastStamp = '';
  private stampSeq = 0;
  private readonly counts = { written: 0, dropped: 0, rotations: 0 };
  private readonly ledger: Ledger | undefined;
  /** Told each sealed file's ledger entry once it is appended (a cluster worker forwards it to its primary). */
  private readonly onSealed: ((entry: EntryInput) => void) | undefined;
  private readonly dataKeys: DataKeys | undefined;

  /**
   * `workerId` defaults to this node:cluster worker's id: workers then write `shadow.w<id>.jsonl` each,
   * since one file needs one owner for its size accounting and rotation.
   */
  constructor(cfg: Readonly<RecordConfig>, deps: { metrics: Metrics; log: Logger; workerId?: number; ledger?: Ledger | undefined; onSealed?: (entry: EntryInput) => void }) {
    this.cfg = cfg;
    this.ledger = deps.ledger;
    this.onSealed = deps.onSealed;
    this.dataKeys = cfg.encryption ? loadDataKeys(cfg.encryption) : undefined;
    this.metrics = deps.metrics;
    this.log = deps.log;
    const workerId = deps.workerId ?? (cluster.isWorker ? cluster.worker?.id : undefined);
    this.path = resolve(workerId === undefined ? cfg.path : perWorkerPath(cfg.path, workerId));
    this.dir = dirname(this.path);
    this.ext = extname(this.path) || '.jsonl';
    this.stem = basename(this.path, extname(this.path));
    const writers = writersByPath.get(this.path);
    if (writers) writers.push(this);
    else writersByPath.set(this.path, [this]);
  }

  /** Enqueues one record; false when it was dropped (and counted). Never blocks, never throws. */
  write(record: DatasetRecord): boolean {
    return this.writeLine(JSON.stringify(record) + '\n');
  }

  /** Enqueues one record serialized elsewhere (a shadow thread): its JSON and the newline. */
  writeLine(line: string): boolean {
    if (!this.cfg.enabled) return false;
    if (this.closed) return this.drop('closed');
    const bytes = Buffer.byteLength(line);
    if (bytes > this.cfg.maxFileBytes) return this.drop('too_large');
    // Bytes being written count too: queueBytes bounds everything this writer holds, not just the queue.
    if (this.queuedBytes + this.writingBytes + bytes > this.cfg.queueBytes) return this.drop('queue_full');
    this.queue.push(line);
    this.queuedBytes += bytes;
    if (this.queuedBytes >= Math.min(EAGER_FLUSH_BYTES, this.cfg.queueBytes / 2)) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.cfg.flushInterval).unref();
    return true;
  }

  stats(): WriterStats {
    return { queuedRecords: this.queue.length, queuedBytes: this.queuedBytes + this.writingBytes, ...this.counts };
  }

  /** Writes everything queued so far (resolves when it is on disk, not yet fsynced). */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      this.kick();
      await this.flushing;
    }
  }

  /**
   * Writes what is queued, rotates the active file when it holds records, and resolves once every rotated
   * file is sealed (gzip, encryption, manifest, ledger entry): an experiment's data ends (and the next
   * one's begins) at a file boundary. The file cut, as stored; undefined when there was nothing to cut.
   */
  async cut(): Promise<string | undefined> {
    await this.flush();
    while (this.flushing) await this.flushing;
    let cut: string | undefined;
    // Runs as a flush does, so no batch is written while the file is renamed.
    this.flushing = (async () => {
      if (this.handle !== undefined && this.fileBytes > 0) cut = await this.rotate();
    })().catch((err: unknown) => this.ioError('rotate', err)).finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.timer ??= setTimeout(() => this.kick(), 0).unref();
    });
    await this.flushing;
    await this.background;
    return cut === undefined ? undefined : this.cfg.gzip ? `${cut}.gz` : cut;
  }

  /**
   * Stops accepting records, writes the queue, fsyncs and closes the file, waits for gzip jobs. `seal`
   * (a process shutting down): the active file, when it holds records, is rotated and sealed as a rotation
   * does (gzip, encryption, manifest, `dataset.rotated` entry) before this resolves, so no file is left
   * that cannot be verified or replayed and the ledger can still take its entry. A plain file (no gzip,
   * encryption, manifest or ledger) stays the active file: a rotation would only rename it.
   */
  close(opts: { seal?: boolean } = {}): Promise<void> {
    this.closing ??= this.shutDown(opts.seal === true).finally(() => {
      const writers = writersByPath.get(this.path) ?? [];
      const at = writers.indexOf(this);
      if (at >= 0) writers.splice(at, 1);
      if (writers.length === 0) writersByPath.delete(this.path);
    });
    return this.closing;
  }

  private async shutDown(seal: boolean): Promise<void> {
    this.closed = true;
    await this.flush();
    clearTimeout(this.timer);
    // A plain file without manifest or ledger gains nothing by a rename: it stays the active file.
    const sealing = this.cfg.gzip || this.dataKeys !== undefined || (this.cfg.manifest ?? this.ledger !== undefined);
    if (seal && sealing && this.handle !== undefined && this.fileBytes > 0) {
      await this.rotate().catch((err: unknown) => this.ioError('rotate', err));
    } else if (this.handle) {
      const h = this.handle;
      this.handle = undefined;
      await h.sync().catch((err: unknown) => this.ioError('fsync', err));
      await h.close().catch(() => undefined);
    }
    await this.background;
  }

  private drop(reason: DropReason, n = 1): false {
    this.counts.dropped += n;
    this.metrics.datasetRecordsDropped.inc({ reason }, n);
    return false;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = undefined;
      // Records that arrived during the write go out on the next tick, not after another interval.
      if (this.queue.length > 0) this.timer ??= setTimeout(() => this.kick(), 0).unref();
    });
  }

  private async drain(): Promise<void> {
    const lines = this.queue;
    this.queue = [];
    this.writingBytes = this.queuedBytes;
    this.queuedBytes = 0;
    let i = 0;
    /** The first line not yet known to be on disk: everything from here on is lost if a write fails. */
    let unwritten = 0;
    try {
      while (i < lines.length) {
        await this.ensureOpen();
        // Take whole lines while they fit the current file; an empty file always takes at least one.
        const batch: string[] = [];
        let bytes = 0;
        for (; i < lines.length; i++) {
          const n = Buffer.byteLength(lines[i]!);
          if (this.fileBytes + bytes + n > this.cfg.maxFileBytes && (this.fileBytes > 0 || batch.length > 0)) break;
          batch.push(lines[i]!);
          bytes += n;
        }
        if (batch.length > 0) {
          await writeAll(this.handle!, Buffer.from(batch.join(''), 'utf8'));
          this.fileBytes += bytes;
          this.counts.written += batch.length;
          this.metrics.datasetRecords.inc(batch.length);
        }
        unwritten = i;
        if (i < lines.length) await this.rotate();
      }
      if (this.ioFailing) this.log.info({ path: this.path }, 'dataset writes recovered');
      this.ioFailing = false;
    } catch (err) {
      this.ioError('write', err);
      // The failed batch and every line after it: none of them is (wholly) on disk.
      this.drop('io_error', lines.length - unwritten);
      await this.discardPartialWrite();
    } finally {
      this.writingBytes = 0;
    }
  }

  /**
   * A failed write (a full disk) may have left part of a line at the end of the file: cut it back to
   * the last whole line now, so that no torn line stays in the file and no later open mistakes it for
   * the trace of a crash. When even that fails, the file is reopened (and trimmed) on the next batch.
   */
  private async discardPartialWrite(): Promise<void> {
    const h = this.handle;
    if (h === undefined) return;
    try {
      await h.truncate(this.fileBytes);
    } catch {
      this.handle = undefined;
      this.partialTail = true;
      await h.close().catch(() => undefined);
    }
  }

  private ioError(op: string, err: unknown): void {
    // Once per failure streak: a full disk must not flood the log with one line per batch.
    if (!this.ioFailing) this.log.error({ path: this.path, op, code: (err as NodeJS.ErrnoException).code }, 'dataset write failed; dropping records');
    this.ioFailing = true;
  }

  private async ensureOpen(): Promise<void> {
    if (this.handle) return;
    // A reload replaces the writer of a path: older ones may still be flushing or rotating that file.
    // Waits only go to older writers, so two writers can never wait on each other.
    const writers = writersByPath.get(this.path) ?? [];
    await Promise.all(writers.slice(0, writers.indexOf(this)).map((w) => w.closing));
    await mkdir(this.dir, { recursive: true });
    const h = await open(this.path, 'a+');
    try {
      this.fileBytes = await trimTornTail(h, this.log, this.path, this.partialTail);
      this.partialTail = false;
    } catch (err) {
      await h.close().catch(() => undefined);
      throw err;
    }
    this.handle = h;
  }

  /** fsync and close the active file, move it to a timestamped name, then gzip and prune in the background. */
  private async rotate(): Promise<string> {
    const h = this.handle!;
    this.handle = undefined;
    await h.sync();
    await h.close();
    const rotated = join(this.dir, `${this.stem}-${this.rotationStamp()}${this.ext}`);
    await rename(this.path, rotated);
    await syncDir(this.dir);
    this.fileBytes = 0;
    this.counts.rotations++;
    // One background job at a time, in rotation order: pruning must never delete a file being gzipped.
    this.background = this.background.then(async () => {
      const stats = (this.cfg.manifest ?? this.ledger !== undefined) ? await scanRecords(rotated) : undefined;
      const file = this.cfg.gzip ? await gzipFile(rotated) : rotated;
      try {
        if (this.dataKeys) await encryptFileInPlace(file, this.dataKeys, this.cfg.gzip);
        if (stats) await this.seal(file, stats);
      } catch (err) {
        // Not a write failure (no record is lost): the file stays as it is, unsealed, and says so.
        this.log.error({ path: file, err: (err as Error).message }, 'sealing a rotated dataset file failed (encryption, manifest or ledger entry)');
      }
      await this.prune();
    }).catch((err: unknown) => this.ioError('rotate', err));
    return rotated;
  }

  /** The manifest beside a rotated file (signed with the ledger's key), and its ledger entry. */
  private async seal(file: string, stats: RecordStats): Promise<void> {
    const m = await writeManifest(file, stats, { gzip: this.cfg.gzip, encryptionKeyId: this.dataKeys?.current.id, signer: this.ledger?.signer });
    const entry: EntryInput = {
      type: 'dataset.rotated',
      datasets: [{ file, sha256: m.sha256, bytes: m.bytes, records: m.records }],
      policies: m.policies.map((id) => policyRef(id)),
      details: { manifest: manifestPath(file), ...(m.timeRange ? { timeRange: m.timeRange } : {}), ...(m.encryption ? { encryptionKeyId: m.encryption.keyId } : {}) },
    };
    await this.ledger?.append(entry);
    this.onSealed?.(entry);
  }

  /** Sortable UTC stamps (names sort in write order); a same-millisecond rotation gets a sequence suffix. */
  private rotationStamp(): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '-');
    this.stampSeq = stamp === this.lastStamp ? this.stampSeq + 1 : 0;
    this.lastStamp = stamp;
    return this.stampSeq === 0 ? stamp : `${stamp}_${String(this.stampSeq).padStart(4, '0')}`;
  }

  private async prune(): Promise<void> {
    const rotatedName = new RegExp(`^${escapeRegExp(this.stem)}-\\d{8}T\\d{6}-\\d{3}Z(_\\d{4})?${escapeRegExp(this.ext)}(\\.gz)?$`);
    const rotated = (await readdir(this.dir)).filter((f) => rotatedName.test(f)).sort();
    // keepFiles counts the active file too.
    const excess = rotated.length - (this.cfg.keepFiles - 1);
    for (const f of rotated.slice(0, Math.max(0, excess))) {
      await unlink(join(this.dir, f)).catch(() => undefined);
      await unlink(manifestPath(join(this.dir, f))).catch(() => undefined);
    }
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function writeAll(h: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await h.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/**
 * A crash can leave a torn last line in the active file; appending after it would bury a broken line in
 * the middle of the file. Cut the file back to its last newline and return the resulting size.
 */
async function trimTornTail(h: FileHandle, log: Logger, path: string, ours: boolean): Promise<number> {
  // A tail this writer left after a failed write is not news (that failure was logged and counted).
  const cause = ours ? 'a failed write' : 'earlier crash';
  const warn = (bytes: number, what: string) => (ours ? log.info.bind(log) : log.warn.bind(log))({ path, bytes }, `dataset file ${what} (${cause}); removed it`);
  const { size } = await h.stat();
  if (size === 0) return 0;
  const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await h.read(chunk, 0, end - start, start);
    const nl = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) {
      const keep = start + nl + 1;
      if (keep < size) {
        await h.truncate(keep);
        warn(size - keep, 'ended with a torn line');
      }
      return keep;
    }
    end = start;
  }
  await h.truncate(0);
  warn(size, 'held only a torn line');
  return 0;
}

async function gzipFile(path: string): Promise<string> {
  const tmp = `${path}.gz.tmp`;
  await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp));
  const h = await open(tmp, 'r+');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, `${path}.gz`);
  await unlink(path);
  await syncDir(dirname(path));
  return `${path}.gz`;
}

/** A rename is durable only once its directory is fsynced; some filesystems refuse, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r').catch(() => undefined);
  if (!h) return;
  await h.sync().catch(() => undefined);
  await h.close();
}

/**
 * Under node:cluster each worker needs its own files (`data/shadow.w2.jsonl`): one writer owns rotation
 * and size accounting for its path. A directory replay reads them all.
 */
export function perWorkerPath(path: string, workerId: number | string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.w${workerId}${ext || '.jsonl'}`);
}
