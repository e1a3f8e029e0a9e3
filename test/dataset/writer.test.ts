// The rotating writer: whole lines only, size-bounded files with timestamped names, at most keepFiles
// kept, optional gzip, and a full queue that drops and counts instead of growing.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordSchema } from '../../src/config/schema/record.js';
import { toDatasetRecord } from '../../src/dataset/record.js';
import { DatasetWriter, perWorkerPath } from '../../src/dataset/writer.js';
import { silentLogger } from '../../src/observe/log.js';
import { createMetrics, type Metrics } from '../../src/observe/metrics.js';
import { exchange, readAll, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let metrics: Metrics;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  metrics = createMetrics(undefined, { defaults: false });
});
afterEach(() => cleanup());

const lineBytes = Buffer.byteLength(JSON.stringify(toDatasetRecord(exchange(100))) + '\n');
const counter = async (m: Metrics, name: 'datasetRecords' | 'datasetRecordsDropped', reason?: string) =>
  (await m[name].get()).values.filter((v) => reason === undefined || v.labels.reason === reason).reduce((s, v) => s + v.value, 0);

function writer(over: Record<string, unknown> = {}): DatasetWriter {
  const cfg = recordSchema.parse({ path: join(dir, 'shadow.jsonl'), ...over });
  return new DatasetWriter(cfg, { metrics, log: silentLogger() });
}

describe('DatasetWriter', () => {
  it('writes every record as one whole line and reads back equal records', async () => {
    const w = writer();
    for (let i = 0; i < 50; i++) expect(w.write(toDatasetRecord(exchange(i)))).toBe(true);
    await w.close();
    const text = await readFile(join(dir, 'shadow.jsonl'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const { items, issues } = await readAll([join(dir, 'shadow.jsonl')]);
    expect(issues).toEqual([]);
    expect(items.map((x) => x.record)).toEqual(Array.from({ length: 50 }, (_v, i) => JSON.parse(JSON.stringify(toDatasetRecord(exchange(i))))));
    expect(await counter(metrics, 'datasetRecords')).toBe(50);
  });

  it('rotates at maxFileBytes to timestamped names, keeps at most keepFiles files, loses no kept record', async () => {
    const perFile = 4;
    const w = writer({ maxFileBytes: lineBytes * perFile + 10, keepFiles: 3 });
    for (let i = 0; i < 40; i++) w.write(toDatasetRecord(exchange(i)));
    await w.close();
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(3);
    expect(files[2]).toBe('shadow.jsonl');
    for (const f of files.slice(0, 2)) expect(f).toMatch(/^shadow-\d{8}T\d{6}-\d{3}Z(_\d{4})?\.jsonl$/);
    for (const f of files) expect((await stat(join(dir, f))).size).toBeLessThanOrEqual(lineBytes * perFile + 10);
    // The newest records survive, contiguous and in order, across the rotated files and the active one.
    const { items } = await readAll(files.map((f) => join(dir, f)));
    const ids = items.map((x) => x.record.ts - 1_700_000_000_000);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_v, k) => 40 - ids.length + k));
    expect(ids.length).toBeGreaterThanOrEqual(perFile * 2 + 1);
    expect(w.stats().rotations).toBe(9);
  });

  it('gzips rotated files, which the reader reads back in order with the active file', async () => {
    const w = writer({ maxFileBytes: lineBytes * 5 + 10, keepFiles: 10, gzip: true });
    for (let i = 0; i < 12; i++) w.write(toDatasetRecord(exchange(i)));
    await w.close();
    const files = (await readdir(dir)).sort();
    expect(files.filter((f) => f.endsWith('.jsonl.gz'))).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('.tmp') || /Z\.jsonl$/.test(f))).toEqual([]);
    const { items, issues } = await readAll([dir]);
    expect(issues).toEqual([]);
    expect(items.map((x) => x.record.ts - 1_700_000_000_000)).toEqual(Array.from({ length: 12 }, (_v, i) => i));
  });

  it('on a disk slower than traffic (a tiny queue), drops and counts instead of growing memory', async () => {
    const queueBytes = lineBytes * 3;
    const w = writer({ queueBytes, flushInterval: 60_000 });
    let accepted = 0;
    // A synchronous burst: the disk gets no turn, exactly as when writes lag far behind traffic.
    for (let i = 0; i < 1000; i++) {
      if (w.write(toDatasetRecord(exchange(i)))) accepted++;
      expect(w.stats().queuedBytes).toBeLessThanOrEqual(queueBytes);
    }
    expect(accepted).toBeLessThan(1000);
    expect(await counter(metrics, 'datasetRecordsDropped', 'queue_full')).toBe(1000 - accepted);
    await w.close();
    const { items } = await readAll([join(dir, 'shadow.jsonl')]);
    expect(items).toHaveLength(accepted);
    expect(await counter(metrics, 'datasetRecords')).toBe(accepted);
  });

  it('counts the batch being written against the bound too, so memory stays under queueBytes while the disk works', async () => {
    const queueBytes = lineBytes * 8;
    const w = writer({ queueBytes, flushInterval: 0 });
    let accepted = 0;
    let peak = 0;
    for (let i = 0; i < 3000; i++) {
      if (w.write(toDatasetRecord(exchange(i)))) accepted++;
      peak = Math.max(peak, w.stats().queuedBytes);
      // Give the disk turns now and then: batches are in flight while records keep coming.
      if (i % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await w.close();
    expect(peak).toBeLessThanOrEqual(queueBytes);
    expect(accepted + (await counter(metrics, 'datasetRecordsDropped', 'queue_full'))).toBe(3000);
    expect(w.stats()).toMatchObject({ written: accepted, queuedBytes: 0 });
    expect((await readAll([join(dir, 'shadow.jsonl')])).items).toHaveLength(accepted);
  });

  it('drops and counts records written after close, and a record larger than a whole file', async () => {
    const w = writer({ maxFileBytes: 100 });
    expect(w.write(toDatasetRecord(exchange(1)))).toBe(false);
    await w.close();
    expect(w.write(toDatasetRecord(exchange(2)))).toBe(false);
    expect(await counter(metrics, 'datasetRecordsDropped', 'too_large')).toBe(1);
    expect(await counter(metrics, 'datasetRecordsDropped', 'closed')).toBe(1);
  });

  it('cuts a torn tail left by a crash before appending, so no broken line ends up mid-file', async () => {
    const path = join(dir, 'shadow.jsonl');
    const whole = JSON.stringify(toDatasetRecord(exchange(1))) + '\n';
    await writeFile(path, whole + whole.slice(0, 30));
    const w = writer();
    w.write(toDatasetRecord(exchange(2)));
    await w.close();
    const { items, issues } = await readAll([path]);
    expect(issues).toEqual([]);
    expect(items.map((x) => x.record.ts - 1_700_000_000_000)).toEqual([1, 2]);
  });

  it('gives each cluster worker its own files, which rotate apart and replay together from the directory', async () => {
    expect(perWorkerPath('data/shadow.jsonl', 2)).toBe(join('data', 'shadow.w2.jsonl'));
    const cfg = (id: number) => recordSchema.parse({ path: perWorkerPath(join(dir, 'shadow.jsonl'), id), maxFileBytes: lineBytes * 2 + 10, keepFiles: 2 });
    const writers = [1, 2].map((id) => new DatasetWriter(cfg(id), { metrics, log: silentLogger() }));
    for (let i = 0; i < 10; i++) writers[i % 2]!.write(toDatasetRecord(exchange(i)));
    await Promise.all(writers.map((w) => w.close()));
    const files = (await readdir(dir)).sort();
    // Each worker keeps its own two files (keepFiles counts per writer): pruning never crosses workers,
    // so each keeps its newest rotated pair and its active file: 4 6 | 8 and 5 7 | 9.
    expect(files.filter((f) => f.startsWith('shadow.w1')).length).toBe(2);
    expect(files.filter((f) => f.startsWith('shadow.w2')).length).toBe(2);
    const { items } = await readAll([dir]);
    expect(items.map((x) => x.record.ts - 1_700_000_000_000).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9]);
  });
});

describe('DatasetWriter handoff and workers', () => {
  it('a new writer of the same path (config reload) appends only after the old one has flushed and closed', async () => {
    // The old writer's last flush rotates twice; the new one flushes on its first record (tiny queue).
    const maxFileBytes = lineBytes * 20 + 10;
    const old = writer({ flushInterval: 60_000, maxFileBytes });
    for (let i = 0; i < 50; i++) old.write(toDatasetRecord(exchange(i)));
    // The order of a reload: the new writer is made, then the old one closed, then records arrive.
    const next = writer({ queueBytes: lineBytes * 2, maxFileBytes });
    const oldClosed = old.close();
    next.write(toDatasetRecord(exchange(100)));
    await Promise.all([oldClosed, next.close()]);
    const { items, issues } = await readAll([dir]);
    expect(issues).toEqual([]);
    expect(items.map((x) => x.record.ts - 1_700_000_000_000)).toEqual([...Array.from({ length: 50 }, (_v, i) => i), 100]);
  });

  it('writes a per-worker file when given a worker id (node:cluster workers get theirs by default)', async () => {
    const w = new DatasetWriter(recordSchema.parse({ path: join(dir, 'shadow.jsonl') }), { metrics, log: silentLogger(), workerId: 3 });
    expect(w.path).toBe(join(dir, 'shadow.w3.jsonl'));
    w.write(toDatasetRecord(exchange(1)));
    await w.close();
    expect(await readdir(dir)).toEqual(['shadow.w3.jsonl']);
  });
});

describe('record config', () => {
  it('refuses a .gz active file name with a message that says what to do', () => {
    const r = recordSchema.safeParse({ path: 'data/shadow.jsonl.gz' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain('set gzip: true');
  });
});
