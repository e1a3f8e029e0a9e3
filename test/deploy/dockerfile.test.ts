// No Docker engine runs here, so the Dockerfile is checked as text against what the package promises:
// the Node line package.json's engines name, a HEALTHCHECK on the admin API, no bench or maps shipped.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };

describe('Dockerfile', () => {
  it('builds and runs on Node 24, the recommended line that engines accept and CI tests (docs/testing.md)', () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/); // pinned to a release, not a moving tag
    const images = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const from of images) expect(from).toBe('${NODE_IMAGE}');
    expect(pkg.engines.node.split('||').map((r) => r.trim())).toEqual(['^20.18.0', '^22.0.0', '>=24.0.0']);
    expect(readFileSync(new URL('.ci/run', root), 'utf8')).toMatch(/npm install .*node@24/);
  });

  it('has a HEALTHCHECK on the admin API and runs as a non-root user', () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('runs shadowgate with the memory settings the bench measures (docs/memory.md)', async () => {
    const { imageRuntime } = await import('../../bench/shadowgate.js');
    const image = imageRuntime(fileURLToPath(new URL('Dockerfile', root)));
    expect(image.nodeArgs).toEqual(['--max-semi-space-size=2', '--expose-gc']);
    expect(image.env).toEqual({ MALLOC_ARENA_MAX: '2' });
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "--max-semi-space-size=2", "--expose-gc", "dist\/src\/cli\/main\.js"\]$/m);
  });

  it('ships no benchmark, test or source map', () => {
    expect(dockerfile).not.toMatch(/^COPY\s+(bench|test)\b/m);
    expect(dockerfile).toMatch(/-name '\*\.map' -delete/);
  });
});
