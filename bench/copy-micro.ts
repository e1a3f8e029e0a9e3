// Micro-benchmark of one copy's cost in a shadow thread, by stage (docs/performance.md, "The copy's cost"):
// CPU µs per copy of the whole copy (processCopy: anonymize → both sandbox calls → diff → result), and of
// each stage alone — the anonymizer, the two sandbox calls (undici), the comparison, the hand-off (the copy
// message and its result through a structured clone, as postMessage makes them), and what a recording route
// (leak guard, dataset line) or one with quality features or slices (one parse of the body) adds. The bench's own request,
// policy, comparison rules and answers (bench/shadowgate.ts, bench/fixtures.ts); the two sandbox targets
// are bench/upstream.js processes, so their CPU is not counted. CPU is the process's (this thread, its
// helper threads, the kernel's time for its sockets), so a loaded machine inflates it: compare rows
// within one run. `--before DIR` (another build's root, its dist/ and node_modules) runs the whole copy
// of that build too, interleaved with this one. Prints a table and one JSON line.
// Usage: node dist/bench/copy-micro.js [--copies N] [--concurrency K] [--rounds R] [--before DIR]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { REQUEST_BODY, REQUEST_PATH } from './fixtures.js';
import { startNodeChild, type NodeChild } from './procs.js';
import { shadowgateConfig } from './shadowgate.js';
import type * as CopyModule from '../src/shadow-threads/copy.js';
import type * as LoadModule from '../src/config/load.js';
import type * as AnonymizeModule from '../src/anonymize/index.js';
import type * as DispatchModule from '../src/pipeline/dispatch.js';
import type * as SendModule from '../src/pipeline/send.js';
import type * as DiffModule from '../src/compare/exchange-diff.js';
import type * as RecordModule from '../src/dataset/record.js';
import type { RouteConfig, ShadowConfig } from '../src/config/schema.js';
import type { CopyMessage } from '../src/shadow-threads/protocol.js';

type Build = {
  copy: typeof CopyModule; load: typeof LoadModule; anonymize: typeof AnonymizeModule;
  dispatch: typeof DispatchModule; send: typeof SendModule; diff: typeof DiffModule; record: typeof RecordModule;
};

/** One build's modules, from its dist/ (this build's own when `root` is this checkout). */
async function loadBuild(root: string): Promise<Build> {
  const at = (p: string) => pathToFileURL(join(root, 'dist', 'src', p)).href;
  const [copy, load, anonymize, dispatch, send, diff, record] = await Promise.all([
    import(at('shadow-threads/copy.js')) as Promise<typeof CopyModule>,
    import(at('config/load.js')) as Promise<typeof LoadModule>,
    import(at('anonymize/index.js')) as Promise<typeof AnonymizeModule>,
    import(at('pipeline/dispatch.js')) as Promise<typeof DispatchModule>,
    import(at('pipeline/send.js')) as Promise<typeof SendModule>,
    import(at('compare/exchange-diff.js')) as Promise<typeof DiffModule>,
    import(at('dataset/record.js')) as Promise<typeof RecordModule>,
  ]);
  return { copy, load, anonymize, dispatch, send, diff, record };
}

/** CPU µs (user + system, the whole process) per item of `fn`. */
async function cpuUsPer(items: number, fn: () => Promise<void> | void): Promise<number> {
  const before = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(before);
  return (d.user + d.system) / items;
}

async function inBatches(n: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += concurrency) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + concurrency); j++) batch.push(one(j));
    await Promise.all(batch);
  }
}

export type CopyStages = Record<string, number>;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { copies: { type: 'string', default: '4000' }, concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '3' }, before: { type: 'string' } } });
  const copies = Number(values.copies);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  const here = fileURLToPath(new URL('../..', import.meta.url));
  const before = values.before === undefined ? undefined : resolve(values.before);
  if (before !== undefined && !existsSync(join(before, 'dist', 'src', 'shadow-threads', 'copy.js'))) throw new Error(`--before: ${before}/dist/src/shadow-threads/copy.js is missing`);

  const upstreamScript = fileURLToPath(new URL('./upstream.js', import.meta.url));
  const children: NodeChild[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'shadowgate-copy-micro-'));
  try {
    for (const role of ['incumbent', 'candidate', 'baseline']) children.push(await startNodeChild(upstreamScript, ['--role', role]));
    const [inc, cand, base] = children.map((c) => `http://127.0.0.1:${c.port}`) as [string, string, string];
    const yaml = stringify(shadowgateConfig('shadow', { incumbent: inc, candidate: cand, baseline: base }, { server: 1, admin: 2 }, dir, 1));

    const builds: [string, Build][] = [['this build', await loadBuild(here)]];
    if (before !== undefined) builds.push(['before', await loadBuild(before)]);
    const rows = new Map<string, number[]>();
    const add = (name: string, us: number) => rows.set(name, [...(rows.get(name) ?? []), us]);

    const setups = builds.map(([name, b]) => {
      const config = b.load.parseConfig(yaml);
      const r = config.routes[0]! as RouteConfig & { shadow: ShadowConfig };
      const anonymizer = b.anonymize.createAnonymizer(config.anonymize, [r.shadow.policy!]);
      const route = b.copy.threadRoute(r, config, (p) => anonymizer.policy(p), undefined);
      const dispatcher = new b.dispatch.ShadowDispatcher(config.upstreams);
      return { name, b, route, dispatcher };
    });
    const headers = { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(REQUEST_BODY)), 'user-agent': 'wrk' };
    const message = (id: number): CopyMessage => ({ id, generation: 1, route: 'predict', requestId: `r${id}`, method: 'POST', url: REQUEST_PATH, headers, body: Buffer.from(REQUEST_BODY) });

    try {
      // Warm-up: JIT, the word table, keep-alive connections.
      for (const s of setups) await inBatches(copies / 2, concurrency, (i) => s.b.copy.processCopy(s.route, s.dispatcher, message(i)));
      for (let round = 0; round < rounds; round++) {
        // The builds take turns going first (the first after the stages runs on colder caches).
        for (const s of round % 2 === 0 ? setups : [...setups].reverse()) add(`whole copy (${s.name})`, await cpuUsPer(copies, () => inBatches(copies, concurrency, (i) => s.b.copy.processCopy(s.route, s.dispatcher, message(i)))));
        // The stages of this build alone.
        const s = setups[0]!;
        const policy = s.route.policy;
        if (policy === undefined || policy === 'none') throw new Error('the bench route has no policy');
        const raw = { method: 'POST', url: REQUEST_PATH, headers, body: Buffer.from(REQUEST_BODY) };
        add('anonymize', await cpuUsPer(copies, () => {
          for (let i = 0; i < copies; i++) policy.anonymize({ ...raw, body: Buffer.from(REQUEST_BODY) }, { maxDecodedBytes: s.route.cfg.maxBodyBytes });
        }));
        add('whole copy, one at a time (no batch of 16)', await cpuUsPer(copies / 4, async () => {
          for (let i = 0; i < copies / 4; i++) await s.b.copy.processCopy(s.route, s.dispatcher, message(i));
        }));
        const out = policy.anonymize(raw, { maxDecodedBytes: s.route.cfg.maxBodyBytes });
        if (!out.ok) throw new Error(`the bench request does not anonymize: ${out.reason}`);
        const answers: Awaited<ReturnType<typeof s.b.send.sendCopy>>[] = [];
        add('both sandbox calls (undici)', await cpuUsPer(copies, () => inBatches(copies, concurrency, async () => {
          const sent = await s.b.send.sendCopy(s.route, s.dispatcher, out.request, { shadow: '1', policy: s.route.policyId }, s.route.random);
          if (answers.length === 0) answers.push(sent);
        })));
        const sent = answers[0]!;
        if (!sent.ok) throw new Error('the sandbox calls failed');
        const ex = s.b.send.copyExchange('predict', 'r', s.route.policyId, 0, out.request, sent.answers);
        add('compare (diffExchange)', await cpuUsPer(copies, () => {
          for (let i = 0; i < copies; i++) s.b.diff.diffExchange(ex, s.route.rules!, { gate: undefined, maxSampleBytes: s.route.cfg.compare.maxSampleBytes });
        }));
        // A recording route's extra work (the bench's records nothing): both answers leak-guarded, the line written.
        add('dataset line (leak guard of both answers, the JSON line)', await cpuUsPer(copies, () => {
          for (let i = 0; i < copies; i++) {
            for (const a of sent.answers) policy.findLeaks(a.body.toString('utf8'));
            JSON.stringify(s.b.record.toDatasetRecord(ex));
          }
        }));
        // A route with quality features or slices reads the anonymized body once more (jsonDoc).
        add('parse of the anonymized body (quality features, slice keys)', await cpuUsPer(copies, () => {
          for (let i = 0; i < copies; i++) JSON.parse(out.request.body.toString('utf8'));
        }));
        const result = await s.b.copy.processCopy(s.route, s.dispatcher, message(0));
        add('hand-off (structured clone of the copy and its result)', await cpuUsPer(copies, () => {
          for (let i = 0; i < copies; i++) {
            structuredClone(message(i));
            structuredClone(result);
          }
        }));
      }
    } finally {
      await Promise.all(setups.map((s) => s.dispatcher.close()));
    }

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const stages: CopyStages = Object.fromEntries([...rows].map(([k, v]) => [k, median(v)]));
    console.log(`copy micro: ${copies} copies × ${rounds} rounds, ${concurrency} at a time; CPU µs per copy (median of the rounds)\n`);
    console.log('| stage | µs per copy |\n|---|---:|');
    for (const [k, v] of Object.entries(stages)) console.log(`| ${k} | ${v.toFixed(1)} |`);
    console.log(JSON.stringify({ bench: 'copy-micro', copies, concurrency, rounds, stages }));
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  });
}
