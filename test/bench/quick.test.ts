// The CI smoke test of the bench: `run.js --quick` runs every case as a child process and exits 0,
// every case that can run here served requests without errors, and only absent binaries are skipped.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findNginx } from '../../bench/nginx.js';
import { signalGroup, spawnTracked, RUN_DIR } from '../helpers/run.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runner = `${root}dist/bench/run.js`;
let shadowgateBuilt = false;
const nginxInstalled = findNginx() !== undefined;

type Case = { name: string; group: string; status: string; reason?: string; load?: { requests: number; errors: number; non2xx: number } };

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // In its own process group (the runner's NGINX and shadowgate children go with it): on the deadline the
  // whole group is killed, not only the runner.
  return new Promise((resolve) => {
    const child = spawnTracked(process.execPath, [runner, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      if (RUN_DIR !== undefined && child.pid !== undefined) signalGroup(RUN_DIR, child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    }, 570_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

// `npm test` compiles src, bench and test to dist (`tsc -p .`) before vitest starts. Compiling again
// here would rewrite dist/ while other test files run the CLI from it.
beforeAll(() => {
  shadowgateBuilt = existsSync(`${root}dist/src/cli/main.js`);
  expect(existsSync(runner), 'dist/bench/run.js is missing: run `npm test` (or `tsc -p .`) first').toBe(true);
});

describe('bench --quick', () => {
  it('runs every case to completion with requests served and no errors, skipping only absent binaries', async () => {
    const out = `${root}bench/results/quick-test-${process.pid}.tmp`;
    try {
      const { code, stdout, stderr } = await run(['--quick', '--out', out]);
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      const results = JSON.parse(readFileSync(out, 'utf8')) as { cases: Case[]; paced: { rate: number; rows: { result: Case & { cpuSeconds?: number } }[] }; loadAverage: number[] };
      // The paced section ran too: our two subjects (and NGINX's when installed) at the fixed rate, with their CPU.
      const pacedNames = results.paced.rows.map((r) => r.result.name);
      expect(pacedNames).toEqual(expect.arrayContaining(['shadowgate-passthrough', 'shadowgate-shadow']));
      for (const { result } of results.paced.rows) {
        if (result.status === 'skipped') continue;
        expect(result.status, `${result.name}: ${result.reason ?? ''}`).toBe('ok');
        expect(result.load?.requests).toBeGreaterThan(0);
        expect(result.cpuSeconds).toBeGreaterThan(0);
      }
      expect(stdout).toContain('## Paced (fixed offered rate)');
      expect(results.loadAverage).toHaveLength(3);
      expect(results.cases.map((c) => c.name)).toEqual(expect.arrayContaining(['direct', 'shadowgate-passthrough', 'shadowgate-shadow', 'http-proxy', 'fastify-reply-from', 'nginx-mirror']));
      for (const c of results.cases) {
        const absent = (c.group === 'shadowgate' && !shadowgateBuilt) || (c.name.startsWith('nginx') && !nginxInstalled);
        if (absent) {
          expect(c.status, c.name).toBe('skipped');
          expect(stdout).toContain(`| ${c.name} | skipped`);
          continue;
        }
        expect(c.status, `${c.name}: ${c.reason ?? ''}`).toBe('ok');
        expect(c.load?.requests, c.name).toBeGreaterThan(0);
        expect(c.load?.errors, c.name).toBe(0);
        expect(c.load?.non2xx, c.name).toBe(0);
      }
    } finally {
      rmSync(out, { force: true });
    }
  }, 600_000);

  it('rejects an unknown case name with a clear message and a non-zero exit', async () => {
    const { code, stderr } = await run(['--only', 'no-such-case']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('--only: unknown case no-such-case');
  });
});
