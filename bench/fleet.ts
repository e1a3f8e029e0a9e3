// `node dist/bench/fleet.js`: what the shared state backend costs and how fast a fleet reacts.
//  1. cost per request: one shadowgate with state.backend file and one with redis, the same canary
//     route (weight 10, no shadow), measured alternately with autocannon in the same run (req/s, p99);
//  2. propagation: a weight change through replica A of three, timed until B and C report it applied
//     (their admin API polled every millisecond), 20 changes;
//  3. takeover: the judge SIGKILLed, timed until another replica reports that it judges, 3 times.
// Needs redis-server on PATH. Prints markdown and the load average; numbers are ratios within the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { freePort, httpGet, startNodeChild, startProcess } from './procs.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('./upstream.js', import.meta.url));
const { values: args } = parseArgs({ options: { duration: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '32' } } });

interface Gate { readonly child: ChildProcess; readonly port: number; readonly adminPort: number }

function startGate(yaml: string): Promise<Gate> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-fleet-'));
  const file = join(dir, 'shadowgate.yaml');
  writeFileSync(file, yaml.replaceAll('{dir}', dir));
  const child = spawn(process.execPath, [CLI, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (!line.includes('"shadowgate listening"')) continue;
        const l = JSON.parse(line) as { port: number; adminPort: number };
        buf = '';
        resolve({ child, port: l.port, adminPort: l.adminPort });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`shadowgate exited with ${code}`)));
  });
}

const stop = (g: Gate) => new Promise<void>((r) => {
  if (g.child.exitCode !== null || g.child.signalCode !== null) return r();
  g.child.once('exit', () => r());
  g.child.kill('SIGTERM');
});

function config(upstream: string, state: string): string {
  return `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, stateFile: {dir}/state.json, auditFile: {dir}/audit.jsonl }
log: { access: false, level: info }
state: ${state}
upstreams: { inc: { url: "${upstream}" }, cand: { url: "${upstream}" } }
routes:
  - { name: r, match: { pathPrefix: / }, primary: inc, canary: { upstream: cand, weight: 10 } }
`;
}

async function load(port: number): Promise<{ rps: number; p99: number; errors: number }> {
  const r = await autocannon({ url: `http://127.0.0.1:${port}/v1/predict`, method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' }, connections: Number(args.connections), duration: Number(args.duration) });
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the admin API's JSON, read loosely by this bench script
async function admin(port: number, path: string, method = 'GET', body?: unknown): Promise<any> {
  if (method === 'GET') return JSON.parse((await httpGet(`http://127.0.0.1:${port}${path}`)).body);
  const { request } = await import('undici');
  const res = await request(`http://127.0.0.1:${port}${path}`, { method: method as 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return res.body.json();
}

async function main(): Promise<void> {
  const redisPort = await freePort();
  const redis = startProcess('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const upstream = await startNodeChild(UPSTREAM, ['--role', 'incumbent']);
  const url = `http://127.0.0.1:${upstream.port}`;
  const prefix = `bench${Date.now()}:`;
  const redisState = (lease: string) => `{ backend: redis, evidenceInterval: 1s, redis: { url: "redis://127.0.0.1:${redisPort}", keyPrefix: "${prefix}", lease: ${lease}, reconcile: 500ms } }`;
  try {
    // 1. cost per request
    const file = await startGate(config(url, '{ backend: file }'));
    const red = await startGate(config(url, redisState('5s')));
    {
    const runs: Record<string, { rps: number; p99: number; errors: number }[]> = { file: [], redis: [] };
    await load(file.port); // warm-up, discarded
    await load(red.port);
    for (let i = 0; i < Number(args.rounds); i++) {
      runs.file!.push(await load(file.port));
      runs.redis!.push(await load(red.port));
    }
    await Promise.all([stop(file), stop(red)]);
    console.log(`## state backend cost per request (${args.rounds} rounds × ${args.duration}s, ${args.connections} connections, medians)\n`);
    console.log('| backend | req/s | p99 ms | errors |\n|---|---|---|---|');
    for (const [k, rs] of Object.entries(runs)) console.log(`| ${k} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${median(rs.map((r) => r.p99))} | ${rs.reduce((a, r) => a + r.errors, 0)} |`);
    console.log(`\nredis/file req/s ratio: ${(median(runs.redis!.map((r) => r.rps)) / median(runs.file!.map((r) => r.rps))).toFixed(3)}`);
    }

    // 2. propagation
    const fleet = await Promise.all([0, 1, 2].map(() => startGate(config(url, redisState('1s')))));
    const delays: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const weight = i % 2 === 0 ? 20 : 30;
      const t0 = performance.now();
      await admin(fleet[0]!.adminPort, '/admin/routes/r/canary', 'PUT', { weight });
      await Promise.all(fleet.slice(1).map(async (g) => {
        while ((await admin(g.adminPort, '/admin/routes/r')).weight.value !== weight) await new Promise((r) => setTimeout(r, 1));
      }));
      delays.push(performance.now() - t0);
    }
    console.log(`\n## propagation: PUT on A until B and C report the weight (20 changes, ms, includes the PUT itself)\n`);
    console.log(`median ${median(delays).toFixed(1)}, p95 ${pct(delays, 95).toFixed(1)}, max ${Math.max(...delays).toFixed(1)}`);

    // 3. takeover
    const takeovers: number[] = [];
    let live = fleet;
    for (let i = 0; i < 3; i++) {
      while (!(await Promise.all(live.map((g) => admin(g.adminPort, '/admin/fleet')))).some((f) => f.judge)) await new Promise((r) => setTimeout(r, 10));
      const views = await Promise.all(live.map((g) => admin(g.adminPort, '/admin/fleet')));
      const leader = live[views.findIndex((f) => f.judge)]!;
      const others = live.filter((g) => g !== leader);
      const t0 = performance.now();
      leader.child.kill('SIGKILL');
      while (!(await Promise.all(others.map((g) => admin(g.adminPort, '/admin/fleet')))).some((f) => f.judge)) await new Promise((r) => setTimeout(r, 5));
      takeovers.push(performance.now() - t0);
      live = [...others, await startGate(config(url, redisState('1s')))];
    }
    console.log(`\n## takeover with lease 1s: judge SIGKILLed until another judges (ms)\n`);
    console.log(takeovers.map((t) => t.toFixed(0)).join(', '));
    await Promise.all(live.map(stop));
    console.log(`\nload average: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await upstream.stop();
    await redis.stop();
  }
}

await main();
