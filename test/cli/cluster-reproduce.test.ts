// An experiment run under `server.workers: 2` can be verified and reproduced (issue 24): the cluster
// primary holds the experiments and writes the lineage ledger (created, approved, started, concluded);
// when the experiment starts and concludes each worker cuts and seals its dataset file in progress and
// forwards the file's entry, so the `concluded` entry names every worker's files with their SHA-256.
// `shadowgate experiment reproduce` replays them all and reaches the same verdict; a changed byte in one
// of them is refused with the reason. The same in a Redis fleet (`ledger.stream: redis`): the primary is a
// replica, its experiment entries go to the fleet's chain, and reproduce reads the chain from Redis.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/admin/auth.js';
import { runExperimentCli } from '../../src/cli/experiment.js';
import { readLedgerStream } from '../../src/cli/ledger.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { startCli } from '../helpers/cli.js';
import { label, startModel, type ModelServer } from '../dataset/models.js';
import { configFile, until } from '../fleet/helpers.js';
import { redisAvailable, startRedis, type TestRedis } from '../fleet/redis-server.js';
import { experimentRouteYaml, proposeAndApprove } from '../helpers/experiment-yaml.js';

const T = { alice: 'alice-token-cluster-reproduce-0123456789', lead: 'lead-token-cluster-reproduce-0123456789' };
const N = 160;
const models: ModelServer[] = [];

let redis: TestRedis | undefined;

afterAll(async () => {
  await Promise.all(models.map((m) => m.close()));
  await redis?.close();
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]) => new Writable({ write: (c: Buffer, _e, cb) => { to.push(c.toString()); cb(); } });
  const code = await runExperimentCli(args, { stdout: sink(out), stderr: sink(err) });
  return { code, out: out.join(''), err: err.join('') };
}

async function post(port: number, path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}),
  });
  return { status: res.statusCode, json: await res.body.json() as Record<string, unknown> };
}

/** The exchanges the route compared since start, across the workers (asked by the primary). */
async function compared(port: number): Promise<number | undefined> {
  const res = await request(`http://127.0.0.1:${port}/admin/report?route=predict`, { headers: { authorization: `Bearer ${T.alice}` } });
  const r = await res.body.json() as { sinceStart?: { exchanges?: number } };
  return r.sinceStart?.exchanges;
}

/** Sends requests `from`..`to`-1 over 4 connections (the cluster hands connections to its workers in turn). */
async function send(port: number, from: number, to: number): Promise<void> {
  const agent = new Agent({ connections: 4, pipelining: 1 });
  try {
    let next = from;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < to) {
        const i = next++;
        const res = await request(`http://127.0.0.1:${port}/v1/predict`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) });
        await res.body.text();
      }
    }));
  } finally {
    await agent.close();
  }
}

interface Variant {
  /** The `state:` section and the `ledger:` section's extra keys. */
  readonly state: string;
  readonly ledger: string;
  /** The ledger's entries as reproduce reads them (the primary's file, or the fleet's chain). */
  entries(ledgerPath: string): Promise<LedgerEntry[] | undefined>;
}

const fileEntries = (path: string): LedgerEntry[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);

async function scenario(v: Variant): Promise<void> {
  const inc = await startModel(label);
  const cand = await startModel(label);
  models.push(inc, cand);
  const seed = randomBytes(32).toString('base64url');
  const { file, dir } = configFile(`
server: { host: 127.0.0.1, port: 0, workers: 2, maxEventLoopDelay: 60s }
admin:
  host: 127.0.0.1
  port: 0
  stateFile: {dir}/state.json
  auditFile: {dir}/audit.jsonl
  experimentsFile: {dir}/experiments.json
  tokens:
    - { name: alice, role: operator, sha256: ${sha256Hex(T.alice)} }
    - { name: lead, role: operator, approver: true, sha256: ${sha256Hex(T.lead)} }
log: { access: false, level: info }
state: ${v.state}
${experimentRouteYaml(inc.url, cand.url)}
record: { path: "{dir}/data/shadow.jsonl", flushInterval: 10ms, gzip: true }
ledger: { path: "{dir}/ledger.jsonl", key: "${seed}"${v.ledger} }
`);
  const pids = new Set<number>();
  let adminPort = 0;
  const c = await startCli(['serve', '--config', file], (l) => {
    if (l.msg === 'shadowgate listening') pids.add(l.pid as number);
    if (l.msg === 'shadowgate cluster admin listening') adminPort = l.adminPort as number;
    return pids.size === 2 && adminPort > 0;
  });
  const port = c.lines.find((l) => l.msg === 'shadowgate listening')!.port as number;
  const ledgerPath = join(dir, 'ledger.jsonl');
  try {
    // Records from before the start: the start's cut leaves them out of the experiment.
    await send(port, 1000, 1040);
    await proposeAndApprove((p, t, b) => post(adminPort, p, t, b), T.alice, T.lead, 100);
    // Every copy of the earlier traffic compared (and so written) before the start cuts the files.
    await until('the earlier traffic compared', async () => {
      const r = await compared(adminPort);
      return r === 40 ? true : undefined;
    });
    expect((await post(adminPort, '/admin/experiments/predict-v2/start', T.alice)).status).toBe(200);

    await send(port, 0, N);
    await until(`${N} more exchanges compared`, async () => {
      const r = await compared(adminPort);
      return r === 40 + N ? true : undefined;
    });
    const concluded = await post(adminPort, '/admin/experiments/predict-v2/conclude', T.alice);
    expect(concluded.status, JSON.stringify(concluded.json)).toBe(200);
    expect(concluded.json).toMatchObject({ experiment: { outcome: 'pass' } });

    // The primary's ledger: the experiment's story, and every worker's sealed files since the start.
    const entries = await until('the concluded entry', async () => {
      const all = await v.entries(ledgerPath);
      return all?.some((e) => e.type === 'concluded') ? all : undefined;
    });
    // (In a Redis fleet the files' dataset.rotated entry, naming the experiment, is chained before `concluded`.)
    expect(entries.filter((e) => e.experiment === 'predict-v2' && e.type !== 'dataset.rotated').map((e) => e.type)).toEqual(['created', 'approved', 'started', 'concluded']);
    const entry = entries.find((e) => e.type === 'concluded')!;
    expect(entry).toMatchObject({
      configDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      policies: [{ name: 'default' }],
      seeds: { compare: expect.any(Number), replayOrder: 1 },
      verdict: { verdict: 'pass' },
      details: { configPath: file, recording: true, experiment: { route: 'predict' } },
    });
    const files = entry.datasets!.map((d) => d.file);
    expect(files.some((f) => /shadow\.w1-.*\.jsonl\.gz$/.test(f)), files.join(', ')).toBe(true);
    expect(files.some((f) => /shadow\.w2-.*\.jsonl\.gz$/.test(f)), files.join(', ')).toBe(true);
    expect(entry.datasets!.reduce((n, d) => n + (d.records ?? 0), 0)).toBe(N);

    // Reproduced from the ledger: every worker's files replayed, the same verdict.
    const same = await cli(['reproduce', 'predict-v2', '--config', file, '--json']);
    expect(same.code, same.err).toBe(0);
    expect(JSON.parse(same.out)).toMatchObject({ same: true, recorded: { outcome: 'pass' }, reproduced: { outcome: 'pass', samples: N }, replay: { sent: N } });

    // One changed byte in one worker's file: refused, naming it.
    const victim = entry.datasets!.find((d) => /shadow\.w2-/.test(d.file))!;
    const bytes = readFileSync(victim.file);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 1;
    writeFileSync(victim.file, bytes);
    const tampered = await cli(['reproduce', 'predict-v2', '--config', file]);
    expect(tampered.code).toBe(2);
    expect(tampered.err).toContain(`dataset file ${victim.file} changed: its SHA-256`);
    expect(tampered.err).toContain(victim.sha256);
  } finally {
    c.child.kill('SIGTERM');
    await c.exited;
  }
}

it('the primary\'s ledger names every worker\'s dataset files; reproduce replays them all to the same verdict, and refuses a changed byte', async () => {
  await scenario({ state: '{ evidenceInterval: 100ms }', ledger: '', entries: (path) => Promise.resolve(fileEntries(path)) });
}, 180_000);

describe.runIf(redisAvailable())('in a Redis fleet (ledger.stream: redis)', () => {
  it('the primary chains the experiment\'s entries in the fleet\'s stream; reproduce reads it from Redis, same verdict', async () => {
    redis = await startRedis();
    const url = redis.url;
    const prefix = `sgclrepro-${randomBytes(4).toString('hex')}:`;
    await scenario({
      state: `{ backend: redis, evidenceInterval: 100ms, redis: { url: "${url}", keyPrefix: "${prefix}", lease: 1s, reconcile: 200ms } }`,
      ledger: ', stream: redis',
      entries: async (path) => {
        // The experiment's entries in the chain; the workers' files in the primary's own file.
        const chain = (await readLedgerStream(url, prefix)).text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerEntry);
        expect(fileEntries(path).filter((e) => e.experiment !== undefined)).toEqual([]);
        return chain;
      },
    });
  }, 180_000);
});
