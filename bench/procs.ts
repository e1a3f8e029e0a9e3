// Child-process plumbing for the bench: start Node children and wait for their port, start other
// binaries, wait for a port to answer, read a process tree's memory from /proc, stop cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';
import type { ChildMessage, LoopDelay } from './child-ipc.js';

const STDERR_KEEP = 8 * 1024;

/** A started child: its pid, the tail of its stderr (bounded) and a clean stop. */
export type Proc = {
  readonly child: ChildProcess;
  stderrTail(): string;
  stop(): Promise<void>;
};

export type NodeChild = Proc & { readonly port: number; loopDelay(): Promise<LoopDelay | undefined> };

function keepTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-STDERR_KEEP);
  });
  return () => tail;
}

function stopper(child: ChildProcess, graceMs = 5_000): () => Promise<void> {
  return () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Start any binary; stdout is discarded (a full pipe would stall a busy proxy), stderr tail kept. */
export function startProcess(cmd: string, args: readonly string[], graceMs = 5_000, env?: NodeJS.ProcessEnv): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(env !== undefined ? { env: { ...process.env, ...env } } : {}) });
  return { child, stderrTail: keepTail(child), stop: stopper(child, graceMs) };
}

/** Start a bench Node child (upstream or peer) and resolve once it has announced its port. */
export function startNodeChild(script: string, args: readonly string[], nodeArgs: readonly string[] = []): Promise<NodeChild> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const stderrTail = keepTail(child);
  const stop = stopper(child);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before listening: ${stderrTail()}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', function onReady(msg: ChildMessage) {
      if (msg.type !== 'ready') return;
      child.off('message', onReady);
      child.off('exit', onExit);
      resolve({ child, port: msg.port, stderrTail, stop, loopDelay: () => askLoopDelay(child) });
    });
  });
}

function askLoopDelay(child: ChildProcess): Promise<LoopDelay | undefined> {
  if (!child.connected) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('message', onMsg);
      resolve(undefined);
    }, 2_000);
    function onMsg(msg: ChildMessage): void {
      if (msg.type !== 'loop-delay') return;
      clearTimeout(timer);
      child.off('message', onMsg);
      resolve(msg.delay);
    }
    child.on('message', onMsg);
    child.send({ type: 'loop-delay' });
  });
}

/**
 * Runs `start` (which picks its ports with freePort) again, up to `attempts` times, when another process
 * took a port between freePort and the child's bind: on a machine shared with other test runs the gap is
 * real, and a case must not fail for it.
 */
export async function retryOnPortRace<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await start();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (i >= attempts || !/EADDRINUSE|Address already in use/.test(message)) throw err;
    }
  }
}

/** A port nothing listens on right now (for configs that need ports before the process starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** GET url once; resolves with the status and body (bounded), rejects on a connection error. */
export function httpGet(url: string, maxBytes = 4 * 1024 * 1024): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        if (body.length < maxBytes) body += s;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Poll until url answers (any status): a process we do not control (shadowgate, nginx) has no
 * readiness channel, so this bounded poll is the readiness signal. Rejects with the process's stderr.
 */
export async function waitAnswering(url: string, proc: Proc, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`process exited (${proc.child.exitCode}) before answering ${url}: ${proc.stderrTail()}`);
    try {
      await httpGet(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`no answer from ${url} after ${timeoutMs} ms: ${proc.stderrTail()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** pid and every descendant (cluster workers, nginx workers), from /proc's parent links. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the ppid is the 2nd field after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process ended between readdir and read.
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** Sum of each process's peak RSS (VmHWM) over the tree, in bytes. */
export function peakRss(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + statusField(pid, 'VmHWM'), 0);
}

/** Sum of the current RSS over the tree, in bytes. */
export function currentRss(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + statusField(pid, 'VmRSS'), 0);
}

/** Clock ticks a second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux we run). */
const USER_HZ = 100;

function statTicks(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields after the command name: state is the 3rd field of the line, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // the process ended meanwhile: its CPU is lost to the count (short-lived helpers only)
  }
}

/** CPU seconds (user + system, every thread) the process tree has used so far. */
export function cpuSeconds(root: number): number {
  return processTree(root).reduce((ticks, pid) => ticks + statTicks(`/proc/${pid}/stat`), 0) / USER_HZ;
}

/** CPU seconds of the root process's main thread alone (the live thread; its tid is its pid). */
export function mainThreadCpuSeconds(root: number): number {
  return statTicks(`/proc/${root}/task/${root}/stat`) / USER_HZ;
}
