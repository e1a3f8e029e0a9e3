// What `npm pack` ships: what a user runs (the CLI and its modules, the console, example configs) and the
// LICENSE and the docs the README links to; no tests, benchmarks or source maps.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm pack', () => {
  it('lists the runtime files and the LICENSE, and no test, bench or map', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const wanted of ['LICENSE', 'README.md', 'package.json', 'dist/src/cli/main.js', 'config/example.yaml']) expect(files).toContain(wanted);
    expect(files.some((f) => f.startsWith('dist/console/'))).toBe(true);
    // The README's links into docs/ work in the installed package too.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const linked = [...new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]!))];
    expect(linked.length).toBeGreaterThan(0);
    expect(linked.filter((f) => !files.includes(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.endsWith('.map') || f.startsWith('src/'))).toEqual([]);
  });
});
