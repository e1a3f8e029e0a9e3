// `shadowgate replay` as a CI gate: exit 0 pass, 1 fail or marginal (configurable), 2 errors; the JSON
// report on stdout and in --out; a progress bar only on a terminal; clear messages for bad input.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressLine, runReplayCli } from '../../src/cli/replay.js';
import { label, liveRun, useModelRoom, type Answer, type ModelServer } from './models.js';

const room = useModelRoom();

function sink(isTTY = false): Writable & { text: () => string; isTTY: boolean } {
  let text = '';
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return Object.assign(w, { text: () => text, isTTY });
}

/** Model servers, a config file for them and a dataset of n recorded requests. */
async function setup(candidate: Answer, n: number, regressionAbs?: number): Promise<{ config: string; dataset: string; cand: ModelServer }> {
  const pair = await room.models(candidate, { regressionAbs });
  const dataset = join(room.dir, 'shadow.jsonl');
  await liveRun(pair.config, n, dataset);
  return { config: pair.configFile, dataset, cand: pair.cand };
}

async function run(argv: string[], tty = false) {
  const stdout = sink();
  const stderr = sink(tty);
  const code = await runReplayCli(argv, { stdout, stderr });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('shadowgate replay', () => {
  it('exits 1 on a fail verdict and prints the JSON report, the same as the --out file', async () => {
    const { config, dataset } = await setup((i) => (i % 2 === 0 ? 'fish' : label(i)), 80);
    const out = join(room.dir, 'report.json');
    const r = await run(['--config', config, '--dataset', dataset, '--json', '--out', out]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { verdict: string; reports: { route: string; verdict: string }[]; replay: { sent: number; interrupted: boolean } };
    expect(report).toMatchObject({ verdict: 'fail', reports: [{ route: 'predict', verdict: 'fail' }], replay: { sent: 80, interrupted: false } });
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(report);
    expect(r.stderr).toContain('replayed 80 records');
    expect(r.stderr).toContain('verdict fail');
  });

  it('exits 0 on pass and prints the table report, with no progress bar off a terminal', async () => {
    const { config, dataset } = await setup(label, 60);
    const r = await run(['--config', config, '--dataset', dataset, '--concurrency', '4', '--rate', '100000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('predict');
    expect(() => JSON.parse(r.stdout)).toThrow();
    expect(r.stderr).not.toContain('ETA');
  });

  it('treats marginal as failing by default and as passing with --fail-on fail', async () => {
    // 11 of 200 disagree: 5.5% is over maxDisagreement (5%) but not clearly (its interval reaches
    // below), and under the field regression threshold (20%) for the field itself.
    const { config, dataset } = await setup((i) => (i % 18 === 0 && i < 198 ? 'fish' : label(i)), 200, 0.2);
    const strict = await run(['--config', config, '--dataset', dataset, '--json']);
    expect(JSON.parse(strict.stdout)).toMatchObject({ verdict: 'marginal' });
    expect(strict.code).toBe(1);
    const lenient = await run(['--config', config, '--dataset', dataset, '--json', '--fail-on', 'fail']);
    expect(lenient.code).toBe(0);
  });

  it('takes several dataset paths after one --dataset flag, in order', async () => {
    const { config, dataset } = await setup(label, 60);
    const copy = join(room.dir, 'copy.jsonl');
    await writeFile(copy, await readFile(dataset));
    const r = await run(['--config', config, '--dataset', dataset, copy, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ replay: { sent: 120 } });
  });

  it('exits 2 with a clear message for a missing dataset file, before sending anything', async () => {
    const { config, cand } = await setup(label, 0);
    const missing = join(room.dir, 'nope.jsonl');
    const r = await run(['--config', config, '--dataset', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dataset file not found: ${missing} (SG_ERR_DATASET)`);
    expect(r.stdout).toBe('');
    expect(cand.stats.requests).toBe(0);
  });

  it('exits 2 for bad arguments, naming the argument', async () => {
    const { config, dataset } = await setup(label, 0);
    expect((await run(['--dataset', dataset])).stderr).toContain('--config FILE is required');
    const r = await run(['--config', config, '--dataset', dataset, '--rate=-5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rate expects a positive number, got "-5"');
    expect((await run(['--config', config, '--dataset', dataset, '--concurrency', '1.5'])).stderr).toContain('--concurrency expects a positive integer, got "1.5"');
    expect((await run(['--config', config, '--dataset', dataset, '--fail-on', 'never'])).stderr).toContain('--fail-on expects marginal or fail');
    expect((await run(['--config', config, '--dataset', dataset, '--bogus'])).code).toBe(2);
  });

  it('exits 2 when no record could be replayed (nothing to judge)', async () => {
    const { config, dataset } = await setup(label, 0);
    await writeFile(dataset, '');
    const r = await run(['--config', config, '--dataset', dataset]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no record was replayed');
  });

  it('exits 2 when there are too few observations for a verdict', async () => {
    const { config, dataset } = await setup(label, 10);
    const r = await run(['--config', config, '--dataset', dataset, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'insufficient data' });
    expect(r.code).toBe(2);
  });

  it('draws a progress bar with rate and ETA on a terminal, and clears it before the summary', async () => {
    const { config, dataset } = await setup(label, 60);
    const r = await run(['--config', config, '--dataset', dataset], true);
    expect(r.stderr).toMatch(/\r\x1b\[K\[[#.]{24}\]\s+\d+%\s+\d+ records\s+\d+\/s\s+ETA /);
    expect(r.stderr).toMatch(/\r\x1b\[Kreplayed 60 records/);
  });
});

describe('progressLine', () => {
  it('shows the share of dataset bytes read, records, rate and the remaining time', () => {
    expect(progressLine({ sent: 50, bytesRead: 500, totalBytes: 1000 }, 2000, 10)).toBe('[#####.....]  50%  50 records  25/s  ETA 2s');
    expect(progressLine({ sent: 0, bytesRead: 0, totalBytes: 1000 }, 0, 4)).toBe('[....]   0%  0 records  0/s  ETA --');
    expect(progressLine({ sent: 9000, bytesRead: 100, totalBytes: 1000 }, 10_000, 4)).toBe('[....]  10%  9000 records  900/s  ETA 1m30s');
  });
});
