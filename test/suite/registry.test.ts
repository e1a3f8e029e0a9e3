// The run's registry (test/helpers/run.ts, docs/testing.md): a tracked child leads its own process group,
// carries the run in its environment, and after its test file the whole group is stopped — grandchildren
// included — and the file's temp directories removed.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cleanUpFile, RUN_DIR, runProcesses, spawnTracked, tempDir } from '../helpers/run.js';

describe('the run registry', () => {
  it('runs under a run directory, with TMPDIR inside it', () => {
    expect(RUN_DIR).toBeDefined();
    expect(tmpdir().startsWith(RUN_DIR!)).toBe(true);
  });

  it('stops a tracked child and the grandchild it started, and removes the file\'s temp directories', async () => {
    const dir = tempDir('sg-registry-');
    // sh starts a grandchild in the background and waits: killing sh alone would leave `sleep` running.
    const child = spawnTracked('sh', ['-c', 'sleep 300 & echo started; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    // The background sleep may still be a forked sh for a moment: wait until it has exec'd.
    const end = Date.now() + 60_000;
    let group = runProcesses(RUN_DIR!).filter((p) => p.pgid === child.pid);
    while (!group.some((p) => p.cmd === 'sleep 300') && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      group = runProcesses(RUN_DIR!).filter((p) => p.pgid === child.pid);
    }
    expect(group).toHaveLength(2);
    expect(group.map((p) => p.cmd)).toContain('sleep 300');

    const stopped = await cleanUpFile(0);
    expect(stopped).toEqual([expect.stringContaining('sh -c sleep 300')]);
    expect(runProcesses(RUN_DIR!).filter((p) => p.pgid === child.pid)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
