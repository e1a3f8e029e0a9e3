// The live thread's side of the shadow threads: starts them, hands each admitted copy to the least
// loaded one (per-tick batches, bodies transferred), bounds what waits in each thread's queue, routes
// results back to their RouteShadow, replaces a thread that dies (its copies dropped and counted), sends
// every configuration generation to every thread, and terminates them on shutdown.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { ShadowgateError } from '../errors.js';
import type { Logger } from '../observe/log.js';
import type { Metrics } from '../observe/metrics.js';
import { mb } from '../observe/idle-gc.js';
import { COUNTER_SLOTS, STARTED_BYTES, STARTED_COPIES, type CopyMessage, type CopyResult, type FromThread, type ToThread } from './protocol.js';

/** Where a copy's result goes (a RouteShadow). */
export interface ResultSink {
  settle(result: CopyResult): void;
  /** The thread holding the copy died: the copy is gone. */
  lost(): void;
}

export type CopyInput = Omit<CopyMessage, 'id' | 'generation' | 'body'> & { readonly body: Buffer };

const START_TIMEOUT_MS = 15_000;
const CLOSE_TIMEOUT_MS = 2_000;
const MAX_RESTART_DELAY_MS = 10_000;
/**
 * A thread's garbage is short-lived copy data: a smaller young generation than V8's default keeps its RSS
 * down. Interleaved `bench --memory` runs (256 connections, full shadow): peak RSS 200/208/201 MB with 8 MB
 * against 216/219/213 MB with the default.
 */
const THREAD_YOUNG_GENERATION_MB = 8;

/** The thread entry, compiled: next to this file in dist/, or dist/ seen from the TypeScript sources (tests). */
function workerFile(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../../dist/src/shadow-threads/worker.js', here) : new URL('./worker.js', here);
  if (!existsSync(fileURLToPath(url))) throw new ShadowgateError('SG_ERR_THREADS', `${fileURLToPath(url)} is missing: run \`npm run build\``, 500);
  return url;
}

export function defaultShadowThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

class ShadowThread {
  readonly worker: Worker;
  readonly counters: Int32Array;
  /** Copies and bytes handed over (Int32 wrap-around, like the thread's counters). */
  posted = 0;
  postedBytes = 0;
  batch: CopyMessage[] = [];
  transfer: ArrayBuffer[] = [];
  readonly pending = new Map<number, ResultSink>();
  readonly startedAt = Date.now();
  threadId = -1;
  exited = false;

  constructor(file: URL, nice: number) {
    const shared = new SharedArrayBuffer(COUNTER_SLOTS * 4);
    this.counters = new Int32Array(shared);
    this.worker = new Worker(file, { workerData: { counters: shared, nice }, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
  }

  /** Copies handed over that the thread has not started yet (batched ones included). */
  get queued(): number {
    return (this.posted - Atomics.load(this.counters, STARTED_COPIES)) | 0;
  }

  get queuedBytes(): number {
    return (this.postedBytes - Atomics.load(this.counters, STARTED_BYTES)) | 0;
  }

  post(msg: ToThread, transfer: ArrayBuffer[] = []): void {
    if (!this.exited) this.worker.postMessage(msg, transfer);
  }
}

export interface ShadowThreadsOptions {
  readonly threads: number;
  readonly queue: { readonly copies: number; readonly bytes: number };
  /** Linux: how much lower than the live thread the threads are scheduled (0 = the same). */
  readonly nice?: number;
  readonly metrics: Metrics;
  readonly log: Logger;
}

export class ShadowThreadPool {
  private readonly threads: ShadowThread[] = [];
  private readonly file: URL;
  private config: Config | undefined;
  private generation = 0;
  private nextId = 0;
  private next = 0;
  private flushScheduled = false;
  private closed = false;
  private restarts = 0;
  private fastCrashes = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: ShadowThreadsOptions) {
    this.file = workerFile();
  }

  get size(): number {
    return this.opts.threads;
  }

  /** The latest generation the threads were given. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Threads replaced after dying (also shadowgate_shadow_thread_restarts_total). */
  get restartCount(): number {
    return this.restarts;
  }

  /** The worker_threads threadIds of the threads running and ready for copies. */
  get threadIds(): number[] {
    return this.threads.filter((t) => !t.exited && t.threadId >= 0).map((t) => t.threadId);
  }

  /** Copies handed over and not yet started, over all threads. */
  get queued(): number {
    return this.threads.reduce((n, t) => n + (t.exited ? 0 : t.queued), 0);
  }

  /**
   * Starts the threads on the first configuration and returns at once: the proxy listens while they load
   * (a thread's modules take a few hundred ms of CPU; its word table is built by the first copy that reads
   * free text). Copies admitted meanwhile wait in the thread's port, under the same queue bound, and are
   * anonymized once it has built the configuration; none is ever sent before. `ready` resolves when every thread has built it, or rejects with the reason.
   */
  start(config: Config, generation: number): void {
    this.config = config;
    this.generation = generation;
    const ready: Promise<void>[] = [];
    for (let i = 0; i < this.opts.threads; i++) ready.push(this.spawn(i));
    this.ready = Promise.all(ready).then(() => undefined);
    // A thread that fails to start is logged (and replaced when it exited); nothing waits on it but `ready`.
    this.ready.catch((err: unknown) => this.opts.log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'shadow threads did not start'));
  }

  /** Resolves when every thread has built the first configuration (tests, and `serve` logs it). */
  ready: Promise<void> = Promise.resolve();

  /**
   * Makes `config` the generation every copy admitted from now on is processed under. Copies already
   * handed over keep theirs (messages to a thread keep their order), so no copy sees two generations.
   */
  configure(config: Config, generation: number): void {
    this.flush();
    this.config = config;
    this.generation = generation;
    for (const t of this.threads) t.post({ t: 'config', generation, config, threads: this.opts.threads });
  }

  /** Hands one copy to a thread; false (nothing sent) when every queue is full or no thread runs. */
  post(copy: CopyInput, generation: number, sink: ResultSink): boolean {
    if (this.closed) return false;
    const t = this.pick(copy.body.length);
    if (t === undefined) return false;
    // A body that owns its ArrayBuffer moves; one inside Node's shared pool (small reads) is copied out,
    // or the transfer would detach the pool and send the thread other requests' bytes.
    const body = ownsBuffer(copy.body) ? copy.body : Uint8Array.prototype.slice.call(copy.body);
    const id = ++this.nextId;
    t.batch.push({ id, generation, route: copy.route, requestId: copy.requestId, method: copy.method, url: copy.url, headers: copy.headers, body, ...(copy.traceparent !== undefined ? { traceparent: copy.traceparent } : {}) });
    if (body.byteLength > 0) t.transfer.push(body.buffer as ArrayBuffer);
    t.posted = (t.posted + 1) | 0;
    t.postedBytes = (t.postedBytes + body.byteLength) | 0;
    t.pending.set(id, sink);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** The least loaded thread with room, starting after the last one chosen (ties go round). */
  private pick(bytes: number): ShadowThread | undefined {
    const n = this.threads.length;
    let best: ShadowThread | undefined;
    for (let k = 0; k < n; k++) {
      const t = this.threads[(this.next + k) % n]!;
      // A thread still starting takes copies too: its port keeps them in order behind the configuration.
      if (t.exited) continue;
      const q = t.queued;
      if (q >= this.opts.queue.copies || t.queuedBytes + bytes > this.opts.queue.bytes) continue;
      if (best === undefined || q < best.queued) best = t;
    }
    if (best !== undefined) this.next = (this.threads.indexOf(best) + 1) % n;
    return best;
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const t of this.threads) {
      if (t.batch.length > 0) {
        t.post({ t: 'copies', batch: t.batch }, t.transfer);
        t.batch = [];
        t.transfer = [];
      }
    }
    this.setQueueGauge();
  }

  /** `shadowgate_shadow_thread_queue`: set at each hand-off and at each batch of results, so it falls back to 0 when the threads catch up. */
  private setQueueGauge(): void {
    this.opts.metrics.shadowThreadQueue.set(this.queued);
  }

  private spawn(index: number): Promise<void> {
    const t = new ShadowThread(this.file, this.opts.nice ?? 0);
    this.threads[index] = t;
    const config = this.config!;
    const generation = this.generation;
    t.post({ t: 'config', generation, config, threads: this.opts.threads });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ShadowgateError('SG_ERR_THREADS', `shadow thread ${index} did not start within ${START_TIMEOUT_MS} ms`, 500)), START_TIMEOUT_MS);
      t.worker.on('message', (msg: FromThread) => {
        switch (msg.t) {
          case 'results':
            for (const r of msg.batch) {
              const sink = t.pending.get(r.id);
              if (sink === undefined) continue;
              t.pending.delete(r.id);
              sink.settle(r);
            }
            this.setQueueGauge();
            return;
          case 'ready':
            if (t.threadId < 0) {
              t.threadId = msg.threadId;
              clearTimeout(timer);
              resolve();
            }
            return;
          case 'config-failed':
            // The live thread validated this configuration already; a thread that cannot build it drops its copies.
            this.opts.log.error({ generation: msg.generation, err: { message: msg.message } }, 'shadow thread could not apply a configuration');
            if (t.threadId < 0) {
              clearTimeout(timer);
              reject(new ShadowgateError('SG_ERR_THREADS', `shadow thread ${index}: ${msg.message}`, 500));
            }
            return;
          case 'closed':
            return;
          case 'gc':
            if (msg.run !== undefined) {
              this.opts.metrics.idleGc.inc({ thread: 'shadow' });
              this.opts.log.info({ thread: index, heapUsedMB: [mb(msg.run.beforeBytes), mb(msg.run.afterBytes)], ms: msg.run.ms }, 'idle gc');
            }
            return;
        }
      });
      t.worker.on('error', (err) => {
        this.opts.log.error({ thread: index, err: { message: err.message } }, 'shadow thread failed');
      });
      t.worker.on('exit', (code) => {
        t.exited = true;
        clearTimeout(timer);
        for (const sink of t.pending.values()) sink.lost();
        t.pending.clear();
        if (t.threadId < 0) reject(new ShadowgateError('SG_ERR_THREADS', `shadow thread ${index} exited (${code}) before it started`, 500));
        if (!this.closed) this.replace(index, t, code);
      });
    });
  }

  /** A thread that died is replaced (after a growing delay when it keeps dying young) and counted. */
  private replace(index: number, dead: ShadowThread, code: number): void {
    this.restarts++;
    this.opts.metrics.shadowThreadRestarts.inc();
    this.fastCrashes = Date.now() - dead.startedAt < 5_000 ? this.fastCrashes + 1 : 0;
    const delay = this.fastCrashes === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (this.fastCrashes - 1));
    this.opts.log.error({ thread: index, code, restartInMs: delay }, 'shadow thread ended; its copies are dropped and it is replaced');
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (!this.closed) this.spawn(index).catch((err: unknown) => this.opts.log.error({ thread: index, err: { message: err instanceof Error ? err.message : String(err) } }, 'shadow thread restart failed'));
    }, delay);
    this.restartTimers.add(timer);
  }

  /** Idle after a burst (observe/idle-gc.ts): each idle thread runs one full GC and says what it freed. */
  idleGc(): void {
    for (const t of this.threads) if (t.threadId >= 0) t.post({ t: 'gc' });
  }

  /** Test seam: blocks every thread's event loop until the returned function is called (30 s at most). */
  hold(): () => void {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    for (const t of this.threads) t.post({ t: 'hold', flag });
    return () => {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    };
  }

  /** Test seam: makes thread `index` throw from its event loop, as a bug in a policy would. */
  crash(index: number): void {
    this.threads[index]?.post({ t: 'crash' });
  }

  /** Stops the threads: each closes its pools and exits; one that does not within 2 s is terminated. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    await Promise.all(this.threads.map(async (t) => {
      if (t.exited) return;
      const exited = new Promise<void>((resolve) => t.worker.once('exit', () => resolve()));
      t.post({ t: 'close' });
      const timer = setTimeout(() => void t.worker.terminate(), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }));
  }
}

function ownsBuffer(b: Buffer): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer) && b.byteLength > 0;
}
