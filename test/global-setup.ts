// vitest globalSetup: one directory per run (exported as SG_TEST_RUN, with TMPDIR inside it), and at the end,
// after every test file, the final check: no process and no temp directory of the run is left. What a
// crashed or timed-out worker left is killed (its whole process group) and removed, and the run fails
// naming it. See docs/testing.md.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcesses } from './helpers/run.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export default function setup(): () => Promise<void> {
  const runDir = mkdtempSync(join(tmpdir(), 'sg-run-'));
  const tmp = join(runDir, 'tmp');
  mkdirSync(tmp);
  mkdirSync(join(runDir, 'procs'));
  const outerTmp = process.env.TMPDIR;
  // Node 22+ keeps its module compile cache (vitest turns it on) in os.tmpdir(): a cache shared across runs,
  // not something this run leaves behind, so it stays where it would be without the run's TMPDIR.
  process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'node-compile-cache');
  process.env.SG_TEST_RUN = runDir;
  process.env.TMPDIR = tmp;

  return async function teardown(): Promise<void> {
    const problems: string[] = [];
    // vitest's own processes carry SG_TEST_RUN too; everything else that does is something a test started.
    const isVitest = (cmd: string): boolean => /[\\/]vitest[\\/]|[\\/]tinypool[\\/]/.test(cmd);
    const mine = new Set([process.pid]);
    let leftovers = runProcesses(runDir, mine).filter((p) => !isVitest(p.cmd));
    // Workers end their children in their afterAll; a process exiting right now gets a moment to finish.
    const end = Date.now() + 5_000;
    while (leftovers.length > 0 && Date.now() < end) {
      await sleep(100);
      leftovers = runProcesses(runDir, mine).filter((p) => !isVitest(p.cmd));
    }
    if (leftovers.length > 0) {
      const registered = new Map<number, string>();
      for (const f of readdirSync(join(runDir, 'procs'))) {
        try {
          const g = JSON.parse(readFileSync(join(runDir, 'procs', f), 'utf8')) as { pgid: number; label: string; file: string };
          registered.set(g.pgid, `${g.file}: ${g.label}`);
        } catch { /* written half-way */ }
      }
      for (const p of leftovers) {
        problems.push(`process ${p.pid} (group ${p.pgid}) is still running: ${p.cmd.slice(0, 160)}` +
          (registered.has(p.pgid) ? ` — started by ${registered.get(p.pgid)}` : ' — not started through test/helpers/run.ts'));
      }
      for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
        for (const p of runProcesses(runDir, mine).filter((x) => !isVitest(x.cmd))) {
          // By pid, each one found by its environment: a group id could be vitest's own (an unregistered child).
          try { process.kill(p.pid, sig); } catch { /* gone */ }
        }
        await sleep(1_000);
      }
    }
    const leftDirs = existsSync(tmp) ? readdirSync(tmp) : [];
    for (const d of leftDirs) problems.push(`temp directory left: ${join(tmp, d)}`);
    const killedLog = join(runDir, 'killed.log');
    if (existsSync(killedLog)) {
      process.stderr.write(`\n[suite] children still running when their test file ended (stopped by test/setup-file.ts):\n${readFileSync(killedLog, 'utf8')}`);
    }
    if (outerTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outerTmp;
    try {
      rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      problems.push(`could not remove ${runDir}: ${(err as Error).message}`);
    }
    if (problems.length > 0) {
      process.exitCode = 1;
      throw new Error(`the run left ${problems.length} thing(s) behind (now cleaned up):\n  ${problems.join('\n  ')}`);
    }
    process.stderr.write(`[suite] final check: no process and no temp directory of the run is left (${runDir})\n`);
  };
}
