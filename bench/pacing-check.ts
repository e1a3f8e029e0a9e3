// `node dist/bench/pacing-check.js`: the paced p99 of each subject under both loads, in one run — the
// open-loop pacer the bench uses (pacer.ts) and autocannon's `overallRate` it used before (a burst at the
// top of every second, coordinated omission corrected with a 1 ms interval). Rounds alternate the loads on
// the same running subject, so machine noise hits both; CPU ms per request from /proc beside each.
// `--loads open-loop,autocannon,saturated` adds a saturated run; `--only …,node-floor` adds the floor
// (node:http + undici with none of shadowgate's work).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, type LoadResult } from './load.js';
import { settled } from './measure.js';
import { findNginx } from './nginx.js';
import { cpuSeconds } from './procs.js';
import { NODE_FLOOR, shadowgateSubject, startFleet, SUBJECTS, type BenchEnv, type Subject } from './subjects.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string', default: 'shadowgate-passthrough,nginx-proxy-pass' },
    before: { type: 'string' },
    /** Which loads, in order: open-loop, autocannon (both at --rate), saturated (autocannon, no rate). */
    loads: { type: 'string', default: 'open-loop,autocannon' },
    'node-args': { type: 'string', default: '' },
    /** Also run the passthrough with these Node flags added (e.g. '--max-semi-space-size=16'): flags compared in one run. */
    'alt-node-args': { type: 'string' },
  },
});

const rate = Number(args.rate);
const durationS = Number(args.duration);
const nginx = findNginx();
const dir = mkdtempSync(join(tmpdir(), 'sg-pacing-'));
const fleet = await startFleet(nginx !== undefined ? 'nginx' : 'node', { dir, nginx });
const env: BenchEnv = { dir, nginx, upstreams: fleet.urls, connections: 64, profileDir: undefined, workers: 1, nodeArgs: args['node-args'].split(' ').filter(Boolean) };
const subjects: Subject[] = [...SUBJECTS, NODE_FLOOR].filter((s) => args.only.split(',').includes(s.name));
if (args.before !== undefined) subjects.push(shadowgateSubject('shadowgate-passthrough-before', 'passthrough', 1, args.before));
const alt = args['alt-node-args'];
if (alt !== undefined) {
  const base = shadowgateSubject(`shadowgate-passthrough ${alt}`, 'passthrough');
  subjects.push({ ...base, start: (e) => base.start({ ...e, nodeArgs: [...e.nodeArgs, ...alt.split(' ').filter(Boolean)] }) });
}

const row = (name: string, load: string, r: LoadResult, cpuMs: number | undefined) =>
  `| ${name} | ${load} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.p999Ms.toFixed(1)} | ${r.errors + r.timeouts} | ${cpuMs === undefined ? '' : cpuMs.toFixed(3)} |`;

console.log(`# paced p99 under two loads: ${rate} req/s offered, 64 connections, ${durationS} s each; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
console.log('| subject | load | req/s | p50 ms | p99 ms | p99.9 ms | errors | CPU ms / req |\n|---|---|---:|---:|---:|---:|---:|---:|');
try {
  for (const subject of subjects) {
    const skip = subject.skipReason(env);
    if (skip !== undefined) {
      console.log(`| ${subject.name} | skipped: ${skip} | | | | | | |`);
      continue;
    }
    const running = await subject.start(env);
    try {
      if (running.pid !== undefined) await settled(running.pid);
      await runLoad({ url: running.url, connections: 64, durationS: Number(args.warmup), overallRate: rate });
      for (let round = 0; round < Number(args.rounds); round++) {
        for (const loader of args.loads.split(',')) {
          const before = running.pid !== undefined ? cpuSeconds(running.pid) : undefined;
          const paced = loader === 'saturated' ? {} : { overallRate: rate, ...(loader === 'autocannon' ? { loader } : {}) };
          const r = await runLoad({ url: running.url, connections: 64, durationS, ...paced });
          const cpu = before !== undefined && running.pid !== undefined && r.requests > 0 ? ((cpuSeconds(running.pid) - before) * 1000) / r.requests : undefined;
          console.log(row(subject.name, loader, r, cpu));
        }
      }
    } finally {
      await running.stop();
    }
  }
} finally {
  await fleet.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
