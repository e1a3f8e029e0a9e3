// What a shadow thread loads at start (docs/memory.md): its static imports, followed from its entry, leave
// out the packages it does not need — zod (config and snapshot schemas), hdr-histogram-js (the tallies),
// ioredis, protobufjs (loaded with the first .proto), prom-client, pino — and the live thread's
// static imports leave out ioredis and protobufjs. Each is megabytes of heap and code in every isolate.
// Neither thread imports undici's package index (fetch, WebSocket, mocks, caches: ~8 MB of RSS per
// isolate): its Pool comes from http/undici.ts, which loads the pool and the request API alone. The YAML
// and markup codecs load `yaml` and `entities` with the first body that needs them.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';
import { track } from '../helpers/run.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The packages reached by the runtime (not `import type`) static imports from `entry` (and the files walked). */
function staticPackages(entry: string): Set<string> & { readonly files: ReadonlySet<string> } {
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
  return Object.assign(packages, { files: seen });
}

describe('modules loaded at start', () => {
  it('a shadow thread loads none of zod, hdr-histogram-js, ioredis, protobufjs, prom-client, pino, undici\'s index, yaml, entities', () => {
    const pkgs = staticPackages('shadow-threads/worker.ts');
    expect(pkgs.files.has(resolve(SRC, 'pipeline/dispatch.ts'))).toBe(true); // the walk reaches the pipeline
    expect(pkgs.files.has(resolve(SRC, 'http/undici.ts'))).toBe(true);
    for (const p of ['zod', 'hdr-histogram-js', 'ioredis', 'protobufjs', 'prom-client', 'pino', 'undici', 'yaml', 'entities']) expect(pkgs.has(p), p).toBe(false);
  });

  it('the live thread loads neither ioredis nor protobufjs until a redis backend or a .proto needs them', () => {
    const pkgs = staticPackages('app/app.ts');
    expect(pkgs.has('zod')).toBe(true);
    for (const p of ['ioredis', 'protobufjs', 'undici']) expect(pkgs.has(p), p).toBe(false);
  });

  it('a Pool from http/undici.ts is a full undici Pool (the request API is on it) without undici\'s index loaded', async () => {
    assertBuilt();
    const lean = fileURLToPath(new URL('../../dist/src/http/undici.js', import.meta.url));
    const probe = `const { createRequire } = await import('node:module');
      const { Pool } = await import(${JSON.stringify(lean)});
      const pool = new Pool('http://127.0.0.1:9');
      const api = ['request', 'stream', 'pipeline', 'upgrade', 'connect'].filter((m) => typeof pool[m] === 'function');
      await pool.close();
      const index = createRequire(${JSON.stringify(lean)}).resolve('undici');
      const loaded = Object.keys(createRequire(${JSON.stringify(lean)}).cache).filter((k) => k === index || k.includes('/lib/web/'));
      console.log(JSON.stringify({ api, loaded, same: Pool === createRequire(${JSON.stringify(lean)})('undici').Pool }));`;
    const out = await new Promise<string>((res, rej) => {
      track(execFile(process.execPath, ['--input-type=module', '-e', probe], (err, stdout) => (err ? rej(err) : res(stdout))), 'undici probe');
    });
    // `same` requires the index last, after `loaded` was read: the same file, the same class.
    expect(JSON.parse(out)).toEqual({ api: ['request', 'stream', 'pipeline', 'upgrade', 'connect'], loaded: [], same: true });
  });
});
