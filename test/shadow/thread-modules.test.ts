// What a shadow thread loads at start (docs/memory.md): its static imports, followed from its entry, leave
// out the packages it does not need — zod (config and snapshot schemas), hdr-histogram-js (the tallies),
// ioredis, protobufjs (loaded with the first .proto), prom-client, pino — and the live thread's
// static imports leave out ioredis and protobufjs. Each is megabytes of heap and code in every isolate.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The packages reached by the runtime (not `import type`) static imports from `entry`. */
function staticPackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(resolve(SRC, entry));
  return packages;
}

describe('modules loaded at start', () => {
  it('a shadow thread loads none of zod, hdr-histogram-js, ioredis, protobufjs, prom-client, pino', () => {
    const pkgs = staticPackages('shadow-threads/worker.ts');
    expect(pkgs.has('undici')).toBe(true); // the walk reaches the pipeline
    for (const p of ['zod', 'hdr-histogram-js', 'ioredis', 'protobufjs', 'prom-client', 'pino']) expect(pkgs.has(p), p).toBe(false);
  });

  it('the live thread loads neither ioredis nor protobufjs until a redis backend or a .proto needs them', () => {
    const pkgs = staticPackages('app/app.ts');
    expect(pkgs.has('zod')).toBe(true);
    for (const p of ['ioredis', 'protobufjs']) expect(pkgs.has(p), p).toBe(false);
  });
});
