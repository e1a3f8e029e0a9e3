// Reading datasets: plain and gzip files in order, and every damaged case reported with its file and
// line while every readable record still comes out.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShadowgateError } from '../../src/errors.js';
import { readDataset } from '../../src/dataset/reader.js';
import { toDatasetRecord } from '../../src/dataset/record.js';
import { exchange, readAll, tempDir } from './fixtures.js';

const line = (i: number) => JSON.stringify(toDatasetRecord(exchange(i))) + '\n';
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

describe('readDataset', () => {
  it('reads several files in the order given, gzip detected by magic bytes not by name', async () => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.data'); // gzip without a .gz name
    await writeFile(a, line(1) + line(2));
    await writeFile(b, gzipSync(line(3) + line(4)));
    const { items, issues } = await readAll([b, a]);
    expect(items.map((x) => x.record.ts - 1_700_000_000_000)).toEqual([3, 4, 1, 2]);
    expect(items.map((x) => [x.file, x.line])).toEqual([[b, 1], [b, 2], [a, 1], [a, 2]]);
    expect(issues).toEqual([]);
  });

  it('skips a torn last line and says so, keeping every whole record before it', async () => {
    const f = join(dir, 'torn.jsonl');
    const torn = line(3);
    await writeFile(f, line(1) + line(2) + torn.slice(0, torn.length / 2));
    const { items, issues } = await readAll([f]);
    expect(items).toHaveLength(2);
    expect(issues).toEqual([{ kind: 'torn', file: f, line: 3, message: expect.stringContaining(`${f}:3: torn last line`) }]);
  });

  it('accepts a complete last record that lacks its final newline (hand-made files)', async () => {
    const f = join(dir, 'nonl.jsonl');
    await writeFile(f, line(1) + line(2).trimEnd());
    const { items, issues } = await readAll([f]);
    expect(items).toHaveLength(2);
    expect(issues).toEqual([]);
  });

  it('reads a truncated gzip file up to the cut and reports it', async () => {
    const f = join(dir, 'cut.jsonl.gz');
    let text = '';
    for (let i = 0; i < 200; i++) text += line(i);
    const gz = gzipSync(text);
    await writeFile(f, gz.subarray(0, Math.floor(gz.length * 0.8)));
    const { items, issues } = await readAll([f]);
    expect(items.length).toBeGreaterThan(0);
    expect(items.length).toBeLessThan(200);
    expect(items.map((x) => x.line)).toEqual(items.map((_x, i) => i + 1));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ kind: 'torn', file: f });
    expect(issues[0]!.message).toContain('truncated');
  });

  it('reports a future format version with file and line, and still reads the lines around it', async () => {
    const f = join(dir, 'v2.jsonl');
    await writeFile(f, line(1) + JSON.stringify({ v: 2, ts: 1, shiny: true }) + '\n' + line(3));
    const { items, issues } = await readAll([f]);
    expect(items.map((x) => x.line)).toEqual([1, 3]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ kind: 'future-version', file: f, line: 2 });
    expect(issues[0]!.message).toMatch(/format version 2 is newer .*upgrade/);
  });

  it('reports malformed lines (bad JSON, missing fields) with their line numbers and keeps the rest', async () => {
    const f = join(dir, 'bad.jsonl');
    await writeFile(f, line(1) + '{not json\n' + JSON.stringify({ v: 1, ts: 1, route: 'p', policy: 'x', request: { method: 'GET' }, responses: {} }) + '\n\n' + line(4));
    const { items, issues } = await readAll([f]);
    expect(items.map((x) => x.line)).toEqual([1, 5]);
    expect(issues.map((i) => [i.kind, i.line])).toEqual([['malformed', 2], ['malformed', 3]]);
    expect(issues[1]!.message).toContain('path starting with /');
  });

  it('skips a line longer than the limit without holding it, and reads on', async () => {
    const f = join(dir, 'long.jsonl');
    await writeFile(f, line(1) + 'x'.repeat(200_000) + '\n' + line(3));
    const items: number[] = [];
    const issues: string[] = [];
    for await (const it of readDataset([f], { maxLineBytes: 10_000, onIssue: (i) => issues.push(`${i.kind}:${i.line}`) })) items.push(it.line);
    expect(items).toEqual([1, 3]);
    expect(issues).toEqual(['too-long:2']);
  });

  it('reports progress in bytes read out of the total of all files, ending at the total', async () => {
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl.gz');
    await writeFile(a, line(1) + line(2));
    await writeFile(b, gzipSync(line(3)));
    const seen: [number, number][] = [];
    for await (const _item of readDataset([a, b], { onProgress: (read, total) => seen.push([read, total]) })) { /* drain */ }
    const total = Buffer.byteLength(line(1) + line(2)) + gzipSync(line(3)).length;
    expect(seen.every(([, t]) => t === total)).toBe(true);
    expect(seen.map(([r]) => r)).toEqual([...seen.map(([r]) => r)].sort((x, y) => x - y));
    expect(seen.at(-1)).toEqual([total, total]);
  });

  it('fails with SG_ERR_DATASET naming a missing file before reading anything', async () => {
    const a = join(dir, 'a.jsonl');
    await writeFile(a, line(1));
    const missing = join(dir, 'nope.jsonl');
    const err = await readAll([a, missing]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShadowgateError);
    expect(err).toMatchObject({ code: 'SG_ERR_DATASET', message: `dataset file not found: ${missing}` });
  });

  it('reads a directory as its dataset files sorted by name (rotated files before the active one)', async () => {
    await writeFile(join(dir, 'shadow.jsonl'), line(3));
    await writeFile(join(dir, 'shadow-20261127T010000-000Z.jsonl.gz'), gzipSync(line(1)));
    await writeFile(join(dir, 'shadow-20261127T020000-000Z.jsonl'), line(2));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const { items } = await readAll([dir]);
    expect(items.map((x) => x.record.ts - 1_700_000_000_000)).toEqual([1, 2, 3]);
  });
});
