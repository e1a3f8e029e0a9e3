// The CI smoke test of the bench: `run.js --quick` runs every case as a child process and exits 0,
// every case that can run here served requests without errors, and only absent binaries are skipped.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findNginx } from '../../bench/nginx.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runner = `${root}dist/bench/run.js`;
let shadowgateBuilt = false;
const nginxInstalled = findNginx() !== undefined;

type Case = { name: string; group: string; status: string; reason?: string; load?: { requests: number; errors: number; non2xx: number } };

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [runner, ...args], { cwd: root, timeout: 280_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

// `npm test` does not build: compile src and bench to dist here (tsc emits even when another file
// has a type error; the type check itself is `npm run typecheck`'s job).
beforeAll(async () => {
  await new Promise<void>((resolve) => {
    execFile(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { cwd: root, timeout: 170_000 }, () => resolve());
  });
  shadowgateBuilt = existsSync(`${root}dist/src/cli/main.js`);
  expect(existsSync(runner), 'the build produced dist/bench/run.js').toBe(true);
}, 180_000);

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
  }, 300_000);

  it('rejects an unknown case name with a clear message and a non-zero exit', async () => {
    const { code, stderr } = await run(['--only', 'no-such-case']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('--only: unknown case no-such-case');
  });
});
