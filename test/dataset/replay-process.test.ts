// `shadowgate replay` as a real process (the compiled CLI): Ctrl-C stops it cleanly with a partial
// report and exit status 130, and a gate failure is the process's exit status.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, assertBuilt, runCli } from '../helpers/cli.js';
import { label, liveRun, useModelRoom } from './models.js';
import { spawnTracked } from '../helpers/run.js';

const room = useModelRoom();

describe('shadowgate replay (process)', () => {
  it('stops on SIGINT: requests in flight finish, the partial report is printed, exit status 130', async () => {
    assertBuilt();
    let onCandidate: (n: number) => void = () => undefined;
    const { cand, config, configFile } = await room.models(label, { onCandidateRequest: (n) => onCandidate(n) });
    const dataset = join(room.dir, 'shadow.jsonl');
    await liveRun(config, 150, dataset);

    // Paced at 40 records/s the replay would take 3.75 s; the signal comes at its 10th record.
    cand.stats.requests = 0;
    const child = spawnTracked(process.execPath, [CLI, 'replay', '--config', configFile, '--dataset', dataset, '--rate', '40', '--concurrency', '2', '--json']);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    onCandidate = (n) => {
      if (n === 10) child.kill('SIGINT');
    };
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('interrupted; finishing requests in flight');
    expect(code).toBe(130);
    const report = JSON.parse(stdout) as { replay: { sent: number; interrupted: boolean }; reports: { sinceStart: { exchanges: number } }[] };
    expect(report.replay.interrupted).toBe(true);
    expect(report.replay.sent).toBeGreaterThanOrEqual(9);
    expect(report.replay.sent).toBeLessThan(150);
    expect(report.reports[0]!.sinceStart.exchanges).toBe(report.replay.sent);
  });

  it('exits 1 when the candidate fails the gate', async () => {
    const { config, configFile } = await room.models((i) => (i % 2 === 0 ? 'fish' : label(i)));
    const dataset = join(room.dir, 'shadow.jsonl');
    await liveRun(config, 60, dataset);
    const r = await runCli(['replay', '--config', configFile, '--dataset', dataset]);
    expect(r.stderr).toContain('verdict fail');
    expect(r.code).toBe(1);
  });
});
