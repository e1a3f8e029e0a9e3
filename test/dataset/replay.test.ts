// Replay: a recorded dataset sent again to the configured targets gives the same verdict and the same
// per-field rates as the live run that recorded it; workers are bounded, damaged lines and unknown
// routes are counted, and an abort yields a partial report.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RouteReport } from '../../src/compare/index.js';
import { replayDataset } from '../../src/replay/replay.js';
import { NOW, label, liveRun, useModelRoom, type Answer } from './models.js';

const room = useModelRoom();
const models = (candidate: Answer, onCandidateRequest?: (n: number) => void) => room.models(candidate, { onCandidateRequest });

/** What must survive a round trip: the verdict, the label agreement and every field's rates. */
function essence(r: RouteReport) {
  const s = r.sinceStart;
  return {
    verdict: r.verdict,
    compared: s.compared,
    agreement: s.label?.agreement,
    disagreement: s.disagreement?.rate,
    fields: s.fields.map((f) => ({ path: f.path, status: f.status, candidateRate: f.candidateRate, noiseRate: f.noiseRate })),
    reasons: s.reasons.filter((x) => x.metric !== 'latency p99 ratio').map((x) => [x.metric, x.outcome]),
  };
}

describe('replayDataset', () => {
  it('gives the same fail verdict and per-field rates as the live run that recorded the dataset', async () => {
    // The candidate disagrees on every 2nd request (50% > maxDisagreement 5%): a clear fail for the
    // anytime-valid bound of (candidate − noise) at 120 exchanges (12.5% was only marginal there).
    const { config } = await models((i) => (i % 2 === 0 ? 'fish' : label(i)));
    const path = join(room.dir, 'shadow.jsonl');
    const live = await liveRun(config, 120, path);
    expect(live.verdict).toBe('fail');
    expect(essence(live).fields.map((f) => [f.path, f.status])).toEqual(expect.arrayContaining([['$.prediction', 'regression'], ['$.nonce', 'noisy']]));

    const result = await replayDataset({ config, datasets: [path], concurrency: 8, now: () => NOW });
    expect(result).toMatchObject({ sent: 120, failedCalls: 0, interrupted: false, skipped: { unknownRoute: 0, filtered: 0, unreadable: 0 } });
    expect(result.reports).toHaveLength(1);
    expect(essence(result.reports[0]!)).toEqual(essence(live));
  });

  it('gives the same pass verdict when the candidate agrees', async () => {
    const { config } = await models(label);
    const path = join(room.dir, 'shadow.jsonl');
    const live = await liveRun(config, 80, path);
    expect(live.verdict).toBe('pass');
    const result = await replayDataset({ config, datasets: [path] });
    expect(essence(result.reports[0]!)).toEqual(essence(live));
  });

  it('keeps at most `concurrency` records in flight', async () => {
    const { config, cand } = await models(label);
    const path = join(room.dir, 'shadow.jsonl');
    await liveRun(config, 60, path);
    cand.stats.maxInFlight = 0;
    await replayDataset({ config, datasets: [path], concurrency: 3 });
    expect(cand.stats.maxInFlight).toBeGreaterThan(1);
    expect(cand.stats.maxInFlight).toBeLessThanOrEqual(3);
  });

  it('counts records of unknown routes and other routes, and unreadable lines, and replays the rest', async () => {
    const { config } = await models(label);
    const known = join(room.dir, 'known.jsonl');
    const other = join(room.dir, 'other.jsonl');
    await liveRun(config, 5, known);
    await liveRun(config, 3, other, { route: 'gone' });
    await writeFile(other, (await readFile(other, 'utf8')) + '{"v":1,"ts":');
    const warnings: string[] = [];
    const issues: string[] = [];
    const result = await replayDataset({ config, datasets: [known, other], onWarning: (m) => warnings.push(m), onIssue: (i) => issues.push(i.message) });
    expect(result).toMatchObject({ sent: 5, skipped: { unknownRoute: 3, filtered: 0, unreadable: 1 } });
    expect(warnings).toEqual([`${other}:1: route "gone" has no shadow targets in this configuration; its records are skipped`]);
    expect(issues).toEqual([`${other}:4: torn last line (cut off mid-record, e.g. by a crash) skipped`]);
  });

  it('never sends a record that is not anonymized (policy raw, or none where the route forbids raw data)', async () => {
    const { config, cand } = await models(label);
    const path = join(room.dir, 'shadow.jsonl');
    await liveRun(config, 4, path);
    const records = (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as { policy: string });
    records[0]!.policy = 'raw';
    records[1]!.policy = 'default@0123456789ab';
    records[2]!.policy = 'raw';
    await writeFile(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    cand.stats.requests = 0;
    const warnings: string[] = [];
    const allowsRaw = await replayDataset({ config, datasets: [path], concurrency: 1, onWarning: (m) => warnings.push(m) });
    // Records 1 (anonymized) and 3 (none, allowed by this route) are sent; the two raw ones are not.
    expect(allowsRaw).toMatchObject({ sent: 2, skipped: { notAnonymized: 2 } });
    expect(cand.stats.requests).toBe(2);
    expect(warnings).toEqual([`${path}:1: record is not anonymized (policy "raw"); run shadowgate anonymize on the dataset first. Records like it are skipped, never sent`]);

    const strict = { ...config, routes: config.routes.map((r) => ({ ...r, shadow: { ...r.shadow!, policy: 'default', allowRawData: false } })) };
    const forbidsRaw = await replayDataset({ config: strict, datasets: [path] });
    expect(forbidsRaw).toMatchObject({ sent: 1, skipped: { notAnonymized: 3 } });
  });

  it('drops recorded headers the client must set itself (a stale content-length, host), so such records still replay', async () => {
    const { config } = await models(label);
    const path = join(room.dir, 'shadow.jsonl');
    await liveRun(config, 3, path);
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n').map((l) => {
      const r = JSON.parse(l) as { request: { headers: Record<string, string> } };
      r.request.headers = { ...r.request.headers, 'Content-Length': '9999', host: 'elsewhere.example', connection: 'close' };
      return JSON.stringify(r);
    });
    await writeFile(path, lines.join('\n') + '\n');
    const result = await replayDataset({ config, datasets: [path] });
    expect(result).toMatchObject({ sent: 3, failedCalls: 0 });
  });

  it('rejects a --route that the configuration does not shadow, naming the known ones', async () => {
    const { config } = await models(label);
    await expect(replayDataset({ config, datasets: [join(room.dir, 'x.jsonl')], route: 'nope' }))
      .rejects.toMatchObject({ code: 'SG_ERR_USAGE', message: expect.stringContaining('known: predict') });
  });

  it('stops starting records on abort, lets those in flight finish, and reports what it saw', async () => {
    const ac = new AbortController();
    let armed = false;
    const { config, cand } = await models(label, (n) => {
      if (armed && n === 20) ac.abort();
    });
    const path = join(room.dir, 'shadow.jsonl');
    await liveRun(config, 100, path);
    cand.stats.requests = 0;
    armed = true;
    const result = await replayDataset({ config, datasets: [path], concurrency: 2, signal: ac.signal, now: () => NOW });
    expect(result.interrupted).toBe(true);
    expect(result.sent).toBeGreaterThan(0);
    expect(result.sent).toBeLessThan(30);
    expect(result.reports[0]!.sinceStart.exchanges).toBe(result.sent);
  });
});
