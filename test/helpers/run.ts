// The run's registry of child processes and temp directories (docs/testing.md).
//
// test/global-setup.ts makes one directory per `vitest run` and exports it to every test worker and every
// child as SG_TEST_RUN; TMPDIR points inside it, so any temp directory made during the run (by a test, by
// shadowgate itself, by a browser) is under `<run>/tmp`. Children started through `spawnTracked` lead their
// own process group (a cluster primary's workers and the demo's model servers go with it) and are written
// to `<run>/procs`. After each test file (test/setup-file.ts) its children's groups are stopped and its
// temp directories removed, even when a test timed out; after the last file the global teardown kills what
// a crashed worker left and fails the run if any process or directory of the run is still there.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The run's directory, or undefined when a test file runs outside `vitest` (then nothing is tracked). */
export const RUN_DIR: string | undefined = process.env.SG_TEST_RUN;

export interface TrackedGroup { pgid: number; label: string; file: string }

const groups: TrackedGroup[] = [];
const dirs: string[] = [];

let file = 'a test file';
/** test/setup-file.ts names the test file this worker runs (for the leftovers report). */
export function setCurrentFile(name: string): void {
  file = name;
}

/** A fresh temp directory under the run's TMPDIR, removed after this test file (and checked at the end). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Forgets nothing; removes a tracked directory now (a test that wants it gone before the file ends). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const i = dirs.indexOf(dir);
  if (i >= 0) dirs.splice(i, 1);
}

/** Registers a child that leads its own process group (spawned with `detached: true`). */
export function track<C extends ChildProcess>(child: C, label: string): C {
  if (child.pid === undefined) return child; // failed to start: the 'error' event says why
  const g = { pgid: child.pid, label, file };
  groups.push(g);
  if (RUN_DIR !== undefined) {
    mkdirSync(join(RUN_DIR, 'procs'), { recursive: true });
    writeFileSync(join(RUN_DIR, 'procs', String(child.pid)), JSON.stringify(g));
  }
  return child;
}

/**
 * `spawn`, in a new process group, registered: the helper every test uses to start a process. The child's
 * environment always carries SG_TEST_RUN (so the final check can find it and what it starts).
 */
export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const env = { ...(opts.env ?? process.env), ...(RUN_DIR !== undefined ? { SG_TEST_RUN: RUN_DIR } : {}) };
  return track(spawn(cmd, args, { ...opts, env, detached: true }), [cmd, ...args].join(' ').slice(0, 200));
}

/** Pids of live processes whose environment names this run (SG_TEST_RUN=<dir>), with their group and command. */
export function runProcesses(runDir: string, exclude: ReadonlySet<number> = new Set()): { pid: number; pgid: number; cmd: string }[] {
  const needle = `SG_TEST_RUN=${runDir}\0`;
  const out: { pid: number; pgid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || exclude.has(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // a zombie holds nothing; its parent reaps it
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      out.push({ pid, pgid: Number(fields[2]), cmd });
    } catch { /* gone, or not ours to read */ }
  }
  return out;
}

/** Sends `signal` to every live process of the run in process group `pgid` (never to anyone else's). */
export function signalGroup(runDir: string, pgid: number, signal: NodeJS.Signals, exclude: ReadonlySet<number> = new Set()): number {
  let n = 0;
  for (const p of runProcesses(runDir, exclude)) {
    if (p.pgid !== pgid) continue;
    try {
      process.kill(p.pid, signal);
      n++;
    } catch { /* already gone */ }
  }
  return n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * After a test file: waits (up to `graceMs`) for its children's groups to end on their own, then kills what
 * is left (SIGTERM, then SIGKILL) and removes its temp directories. Returns what had to be killed.
 */
export async function cleanUpFile(graceMs = 10_000): Promise<string[]> {
  const left: string[] = [];
  if (RUN_DIR !== undefined && groups.length > 0) {
    const runDir = RUN_DIR;
    const self = new Set([process.pid]);
    const alive = (): TrackedGroup[] => {
      const live = new Set(runProcesses(runDir, self).map((p) => p.pgid));
      return groups.filter((g) => live.has(g.pgid));
    };
    const end = Date.now() + graceMs;
    while (alive().length > 0 && Date.now() < end) await sleep(100);
    for (const g of alive()) {
      left.push(`${g.label} (pid ${g.pgid})`);
      signalGroup(runDir, g.pgid, 'SIGTERM', self);
    }
    const killEnd = Date.now() + 5_000;
    while (alive().length > 0 && Date.now() < killEnd) await sleep(100);
    for (const g of alive()) signalGroup(runDir, g.pgid, 'SIGKILL', self);
    for (const g of groups) rmSync(join(runDir, 'procs', String(g.pgid)), { force: true });
  }
  groups.length = 0;
  for (const d of dirs.splice(0)) {
    try {
      rmSync(d, { recursive: true, force: true, maxRetries: 3 });
    } catch { /* a mount point still busy: the final check reports it */ }
  }
  return left;
}
