// A shadow thread's entry: holds the policies, comparison rules and undici pools of each configuration
// generation, processes the copies the live thread hands over, and answers with compact results in
// per-tick batches. Nothing here can reach a client's answer: the live thread never waits for it.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { Config, RouteConfig, ShadowConfig } from '../config/schema.js';
import { createAnonymizer } from '../anonymize/index.js';
import { SampleGate } from '../compare/samples.js';
import { ShadowDispatcher } from '../pipeline/dispatch.js';
import { processCopy, threadRoute, type ThreadRoute } from './copy.js';
import { GrpcChannels } from '../grpc/channels.js';
import { grpcCodec } from '../pipeline/route.js';
import { exposedGc, fullGc } from '../observe/idle-gc.js';
import { STARTED_BYTES, STARTED_COPIES, type CopyMessage, type CopyResult, type FromThread, type ToThread } from './protocol.js';

interface Generation {
  readonly id: number;
  readonly config: Config;
  readonly routes: ReadonlyMap<string, ThreadRoute>;
  readonly dispatcher: ShadowDispatcher;
  /** HTTP/2 sessions to the gRPC routes' targets (this generation's own). */
  readonly grpc: GrpcChannels | undefined;
  inFlight: number;
}

/**
 * Linux schedules threads on their own (a thread id is a task id for setpriority): this thread runs at a
 * lower priority than the live thread, so when both want a core the live answer wins and the shadow work
 * waits (and is shed by its queue bound). Elsewhere, or if refused, the thread keeps the process's priority.
 */
function yieldToLiveThread(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + nice));
  } catch {
    // No /proc/thread-self (not Linux) or not permitted.
  }
}
const data = workerData as { counters: SharedArrayBuffer; nice: number };
if (data.nice > 0) yieldToLiveThread(data.nice);

const port = parentPort;
if (port === null) throw new Error('shadow-threads/worker.js runs as a worker thread only');
const counters = new Int32Array(data.counters);

const generations = new Map<number, Generation>();
let latest: Generation | undefined;
/** Sample gates outlive generations while a route's compare settings stay the same. */
const gates = new Map<string, { key: string; gate: SampleGate }>();
let outbox: CopyResult[] = [];
let flushScheduled = false;
let closing = false;

function send(msg: FromThread): void {
  port!.postMessage(msg);
}

function gateFor(r: RouteConfig & { shadow: ShadowConfig }): SampleGate {
  const key = JSON.stringify(r.shadow.compare);
  const g = gates.get(r.name);
  if (g?.key === key) return g.gate;
  const gate = new SampleGate(r.shadow.compare.samplesPerField);
  gates.set(r.name, { key, gate });
  return gate;
}

function configure(generation: number, config: Config, threads: number): void {
  const inUse = config.routes.flatMap((r) => (r.shadow?.policy && r.shadow.policy !== 'none' ? [r.shadow.policy] : []));
  const anonymizer = createAnonymizer(config.anonymize, inUse);
  const routes = new Map<string, ThreadRoute>();
  const wantsGrpc = config.routes.some((r) => r.protocol === 'grpc' && r.shadow !== undefined);
  const channels = wantsGrpc ? new GrpcChannels(config.upstreams) : undefined;
  for (const r of config.routes) {
    if (r.shadow === undefined) continue;
    const withShadow = r as RouteConfig & { shadow: ShadowConfig };
    const grpc = channels === undefined ? undefined : grpcCodec(r, channels, config.upstreams);
    routes.set(r.name, threadRoute(withShadow, config, (name) => anonymizer.policy(name), gateFor(withShadow), grpc));
  }
  const prev = latest;
  const same = prev !== undefined && JSON.stringify(prev.config.upstreams) === JSON.stringify(config.upstreams);
  // Each thread takes its share of an upstream's connections: the sandbox sees `connections` in all.
  const dispatcher = same ? prev.dispatcher : new ShadowDispatcher(config.upstreams, { share: 1 / threads });
  latest = { id: generation, config, routes, dispatcher, grpc: channels, inFlight: 0 };
  generations.set(generation, latest);
  if (prev) retireIfDone(prev);
}

/** An older generation goes once its last copy is done; its pools close unless the newer one kept them. */
function retireIfDone(gen: Generation): void {
  if (gen === latest || gen.inFlight > 0) return;
  generations.delete(gen.id);
  gen.grpc?.close();
  if (![...generations.values()].some((g) => g.dispatcher === gen.dispatcher)) void gen.dispatcher.close();
}

function deliver(result: CopyResult): void {
  outbox.push(result);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushResults);
}

function flushResults(): void {
  flushScheduled = false;
  if (outbox.length === 0) return;
  const batch = outbox;
  outbox = [];
  send({ t: 'results', batch });
}

function start(msg: CopyMessage): void {
  Atomics.add(counters, STARTED_COPIES, 1);
  Atomics.add(counters, STARTED_BYTES, msg.body.byteLength);
  const gen = generations.get(msg.generation);
  const route = gen?.routes.get(msg.route);
  if (gen === undefined || route === undefined) {
    // Only when this thread could not build that generation (reported to the live thread already).
    deliver({ id: msg.id, threadId, drop: 'anonymize_error', replacements: [], calls: [], error: `generation ${msg.generation} has no route ${msg.route} here` });
    return;
  }
  gen.inFlight++;
  void processCopy(route, gen.dispatcher, msg).then(deliver, (err: unknown) => {
    deliver({ id: msg.id, threadId, drop: 'anonymize_error', replacements: [], calls: [], error: err instanceof Error ? err.message : String(err) });
  }).finally(() => {
    gen.inFlight--;
    retireIfDone(gen);
    if (gcWhenIdle) idleGc();
  });
}

/** The live thread asked for one full GC (observe/idle-gc.ts): run it once no copy is in progress here. */
let gcWhenIdle = false;
function idleGc(): void {
  if (closing || [...generations.values()].some((g) => g.inFlight > 0)) return;
  gcWhenIdle = false;
  const gc = exposedGc();
  send(gc === undefined ? { t: 'gc' } : { t: 'gc', run: fullGc(gc) });
}

async function close(): Promise<void> {
  closing = true;
  flushResults();
  for (const g of generations.values()) g.grpc?.close();
  const dispatchers = new Set([...generations.values()].map((g) => g.dispatcher));
  await Promise.all([...dispatchers].map((d) => d.close()));
  send({ t: 'closed' });
  port!.close();
}

port.on('message', (msg: ToThread) => {
  switch (msg.t) {
    case 'copies':
      if (!closing) for (const c of msg.batch) start(c);
      return;
    case 'config':
      try {
        // The free-text word table (~2.5 MB, ~0.5 s of CPU) is not built here but by the first copy whose
        // policy reads free text (anonymize/data/lexicon.ts): an idle proxy, or one whose policies never scan
        // text, does not hold it (docs/memory.md).
        configure(msg.generation, msg.config, msg.threads);
        send({ t: 'ready', generation: msg.generation, threadId });
      } catch (err) {
        send({ t: 'config-failed', generation: msg.generation, message: err instanceof Error ? err.message : String(err) });
      }
      return;
    case 'close':
      void close();
      return;
    case 'gc':
      gcWhenIdle = true;
      idleGc();
      return;
    case 'hold':
      Atomics.wait(msg.flag, 0, 0, 30_000);
      return;
    case 'crash':
      setImmediate(() => {
        throw new Error('shadow thread crash requested (test seam)');
      });
      return;
  }
});
