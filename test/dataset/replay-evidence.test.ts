// `shadowgate replay` with the sandbox down: failed calls are not observations, so there is no verdict
// and the gate exits 2, saying how many calls failed and why (issue 12, finding 1).
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runReplayCli } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { replayDataset } from '../../src/replay/replay.js';
import { label, liveRun, useModelRoom } from './models.js';

const room = useModelRoom();

function sink(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({ write(chunk: Buffer | string, _enc, cb) { text += chunk.toString(); cb(); } });
  return Object.assign(w, { text: () => text });
}

describe('replay with every call failing', () => {
  it('exits 2 with no verdict, and says how many calls failed and why', async () => {
    const pair = await room.models(label);
    const dataset = join(room.dir, 'shadow.jsonl');
    await liveRun(pair.config, 60, dataset);
    // The sandbox goes down: every call of the replay is refused.
    await pair.inc.close();
    await pair.cand.close();
    const stdout = sink();
    const stderr = sink();
    const code = await runReplayCli(['--config', pair.configFile, '--dataset', dataset, '--json'], { stdout, stderr });
    expect(code).toBe(2);
    const out = JSON.parse(stdout.text()) as { verdict: string; reports: { verdict: string; window: { compared: number; failures: Record<string, Record<string, number>> } }[]; replay: { failedCalls: number } };
    expect(out.verdict).toBe('insufficient data');
    expect(out.reports[0]!.window.compared).toBe(0);
    // incumbent and baseline are both the incumbent server, called as two roles.
    expect(out.reports[0]!.window.failures).toEqual({ incumbent: { refused: 60 }, candidate: { refused: 60 }, baseline: { refused: 60 } });
    expect(out.replay.failedCalls).toBe(180);
    expect(stderr.text()).toContain('replayed 60 records');
    expect(stderr.text()).toContain('180 calls failed');
    expect(stderr.text()).toContain('verdict insufficient data');
    expect(stderr.text()).toContain('no verdict for route predict: 0 of 60 exchanges were answered by both sides (a verdict needs 50); '
      + 'calls that failed: incumbent: 60 refused; candidate: 60 refused; baseline: 60 refused');
  });

  it('prints the table with the reason when not asked for JSON', async () => {
    const pair = await room.models(label);
    const dataset = join(room.dir, 'shadow.jsonl');
    await liveRun(pair.config, 60, dataset);
    await pair.cand.close();
    const stdout = sink();
    const stderr = sink();
    const code = await runReplayCli(['--config', pair.configFile, '--dataset', dataset], { stdout, stderr });
    // The incumbent answers, the candidate refuses everything: that is evidence enough to fail.
    expect(code).toBe(1);
    expect(stdout.text()).toMatch(/verdict FAIL \(whole dataset\)/);
    // 60 of 60 failed against 0 of 60: the anytime-valid bound (issue 21) is lower than the fixed-sample one was.
    expect(stdout.text()).toMatch(/because: compared exchanges 0 vs 50; error rate delta 1 \[0\.\d+, 1\] vs 0\.01/);
    expect(stdout.text()).toContain('calls that failed (not observations): candidate: 60 refused');
  });
});

describe('an identical sub-millisecond twin, replayed over real sockets', () => {
  it('passes on 10 send-order seeds with the default latency verdict (no order bias, 1 ms floor)', async () => {
    const pair = await room.models(label);
    // The room's config neutralises latency; this one keeps every default of compare.verdict.
    const config = parseConfig(`
upstreams:
  incumbent: { url: "${pair.inc.url}", timeout: 5s }
  candidate: { url: "${pair.cand.url}", timeout: 5s }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      baseline: incumbent
      policy: none
      allowRawData: true
      compare: { ignore: ["$.request_id"], label: "$.prediction" }
`, { env: {} });
    const dataset = join(room.dir, 'shadow.jsonl');
    await liveRun(config, 200, dataset);
    const verdicts: string[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const result = await replayDataset({ config, datasets: [dataset], orderSeed: seed, concurrency: 4 });
      const r = result.reports[0]!;
      expect(r.window.latency.comparison.verdict, `seed ${seed}: ${JSON.stringify(r.window.reasons)}`).not.toBe('slower');
      verdicts.push(r.verdict);
    }
    expect(verdicts).toEqual(Array(10).fill('pass'));
  });
});
