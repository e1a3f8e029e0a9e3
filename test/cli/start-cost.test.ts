// `shadowgate --version` and `--help` load only the CLI's own small modules, and `npm install` followed by
// `npx shadowgate` does not rebuild (issue 23). Checked as structure, not as wall time: the entry's static
// import closure holds no package from node_modules, and `prepare` skips a dist/ built from these sources.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/run.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every module `file` loads before its first line runs: static imports only (`import type` and `import()` excluded). */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!file.startsWith(root)) return seen;
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?'([^']+)';/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('node:')) continue;
    if (!spec.startsWith('.')) {
      seen.add(spec);
      continue;
    }
    staticClosure(resolve(dirname(file), spec).replace(/\.js$/, '.ts'), seen);
  }
  return seen;
}

describe('the CLI entry', () => {
  it('loads no package (no zod, yaml, undici, pino) before a command asks for one: --version and --help stay cheap', () => {
    const closure = [...staticClosure(join(root, 'src/cli/main.ts'))];
    const packages = closure.filter((m) => !m.startsWith('/'));
    expect(packages).toEqual([]);
    // The whole closure, so a new static import is a decision someone made here.
    expect(closure.map((f) => f.slice(root.length)).sort()).toEqual([
      'src/cli/flags.ts', 'src/cli/help.ts', 'src/cli/main.ts', 'src/config/did-you-mean.ts', 'src/errors.ts', 'src/version.ts',
    ]);
  });
});

describe('prepare', () => {
  const script = join(root, 'scripts/build-stamp.mjs');
  const stamp = (mode: string, dir: string) => spawnSync(process.execPath, [script, mode, dir], { encoding: 'utf8' });

  it('is a check of dist/ against its sources before any build', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepare).toBe('node scripts/build-stamp.mjs check || npm run build');
    expect(pkg.scripts.build).toMatch(/&& node scripts\/build-stamp\.mjs write$/);
  });

  it('skips a dist/ built from these sources, rebuilds after a change, and has nothing to build without src/', () => {
    const dir = tempDir('sg-prepare-');
    cpSync(join(root, 'src/cli'), join(dir, 'src/cli'), { recursive: true });
    for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) cpSync(join(root, f), join(dir, f));
    expect(stamp('check', dir).status).toBe(1); // never built
    mkdirSync(join(dir, 'dist/src/cli'), { recursive: true });
    mkdirSync(join(dir, 'dist/console'), { recursive: true });
    writeFileSync(join(dir, 'dist/src/cli/main.js'), '');
    writeFileSync(join(dir, 'dist/console/app.js'), '');
    expect(stamp('write', dir).status).toBe(0);
    const skip = stamp('check', dir);
    expect(skip.status).toBe(0);
    expect(skip.stdout).toContain('not rebuilding');
    writeFileSync(join(dir, 'src/cli/main.ts'), '// changed\n', { flag: 'a' });
    const changed = stamp('check', dir);
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('sources changed');
    const installed = tempDir('sg-installed-');
    expect(stamp('check', installed).status).toBe(0);
  });
});
