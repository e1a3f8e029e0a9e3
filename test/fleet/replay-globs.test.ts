// Datasets at fleet scale (issue 13 point 7): every replica writes its own files; one replay takes
// them all through a glob (quoted: the shell leaves it to shadowgate) and merges them into one report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../../src/cli/replay.js';
import { expandGlob } from '../../src/dataset/glob.js';
import { label, liveRun, useModelRoom } from '../dataset/models.js';
import { tempDir } from '../helpers/run.js';

const room = useModelRoom();

function sink(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({ write(chunk: Buffer | string, _enc, cb) { text += chunk.toString(); cb(); } });
  return Object.assign(w, { text: () => text });
}

describe('dataset globs', () => {
  it('expands *, ?, [..] and ** in sorted order, and nothing else', async () => {
    const dir = tempDir('sg-glob-');
    for (const p of ['r-a/shadow.jsonl', 'r-b/shadow.jsonl', 'r-b/shadow-2026.jsonl.gz', 'r-c/other.txt', 'x/deep/r-d/shadow.jsonl']) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), '');
    }
    expect(await expandGlob(join(dir, 'r-*/shadow*.jsonl*'))).toEqual([
      join(dir, 'r-a/shadow.jsonl'), join(dir, 'r-b/shadow-2026.jsonl.gz'), join(dir, 'r-b/shadow.jsonl'),
    ]);
    expect(await expandGlob(join(dir, 'r-?/*.txt'))).toEqual([join(dir, 'r-c/other.txt')]);
    expect(await expandGlob(join(dir, 'r-[ab]/shadow.jsonl'))).toEqual([join(dir, 'r-a/shadow.jsonl'), join(dir, 'r-b/shadow.jsonl')]);
    expect(await expandGlob(join(dir, '**/shadow.jsonl'))).toEqual([
      join(dir, 'r-a/shadow.jsonl'), join(dir, 'r-b/shadow.jsonl'), join(dir, 'x/deep/r-d/shadow.jsonl'),
    ]);
    expect(await expandGlob(join(dir, 'nothing-*'))).toEqual([]);
  });

  it('replays every replica\'s files through one glob into one report', async () => {
    const pair = await room.models(label);
    const recorded = join(room.dir, 'recorded.jsonl');
    await liveRun(pair.config, 30, recorded);
    for (const replica of ['replica-a', 'replica-b', 'replica-c']) {
      mkdirSync(join(room.dir, replica), { recursive: true });
      await writeFile(join(room.dir, replica, 'shadow.jsonl'), await readFile(recorded));
    }
    const stdout = sink();
    const stderr = sink();
    const code = await runReplayCli(['--config', pair.configFile, '--dataset', join(room.dir, 'replica-*/shadow.jsonl'), '--json'], { stdout, stderr });
    const report = JSON.parse(stdout.text()) as { replay: { sent: number }; reports: { sinceStart: { exchanges: number } }[] };
    expect(report.replay.sent).toBe(90);
    expect(report.reports[0]!.sinceStart.exchanges).toBe(90);
    expect(code).toBe(0);
  });

  it('exits 2 naming the glob when it matches nothing', async () => {
    const pair = await room.models(label);
    const stdout = sink();
    const stderr = sink();
    const code = await runReplayCli(['--config', pair.configFile, '--dataset', join(room.dir, 'none-*/x.jsonl')], { stdout, stderr });
    expect(code).toBe(2);
    expect(stderr.text()).toContain('no dataset file matches');
  });
});
