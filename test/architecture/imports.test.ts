// The import rules of docs/architecture.md, checked: each room imports only the rooms the table allows.
// Known exceptions are listed file by file with the reason they stand; a new edge fails, and so does an
// exception that is no longer needed (the list can only shrink honestly).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Room → the rooms it may import (its own files always). The same table is in docs/architecture.md. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  version: [],
  kernel: [], // the ground floor: one hash, one token bucket, one canonical JSON, one JSON-path grammar, one request-id rule, one bounded map; every room but the console may import it
  config: ['errors'],
  exchange: ['compare'], // types only: a streamed answer's chunk marks (compare/stream.ts)
  anonymize: ['config', 'errors', 'exchange'],
  compare: ['config', 'errors', 'exchange'],
  // Data quality and drift: a pure engine like compare/ (features observed in the shadow threads, one profile per route live);
  // slices read compare's diffs and anytime-valid sequences.
  quality: ['config', 'errors', 'compare'],
  observe: ['config', 'version', 'compare'],
  http: ['config'],
  routing: ['config', 'errors', 'observe', 'compare'],
  state: ['config', 'errors', 'routing', 'compare', 'observe', 'quality'],
  // The one copy pipeline (roles, rewrite, dispatch, the gRPC codec, compare), below both the shadow
  // threads and replay.
  pipeline: ['config', 'errors', 'exchange', 'observe', 'compare', 'grpc', 'http', 'quality'],
  ledger: ['config', 'errors', 'version'],
  // The dataset: its record format, the rotating writer, the reader (below the pipeline's users).
  dataset: ['config', 'errors', 'exchange', 'observe', 'ledger'],
  // Replay: recorded anonymized requests through the copy pipeline, into the comparison engine.
  replay: ['config', 'errors', 'exchange', 'compare', 'http', 'pipeline', 'dataset', 'ledger', 'quality'],
  shadow: ['config', 'errors', 'exchange', 'observe', 'compare', 'shadow-threads', 'http'],
  'shadow-threads': ['config', 'errors', 'exchange', 'observe', 'anonymize', 'compare', 'grpc', 'shadow', 'http', 'pipeline', 'dataset', 'quality'],
  grpc: ['config', 'errors', 'exchange', 'observe', 'http'],
  proxy: ['config', 'errors', 'observe', 'routing', 'shadow', 'grpc', 'http'],
  // Experiments: pure lifecycle and criteria over a report read as JSON, and the in-memory registry.
  experiments: ['config', 'errors'],
  admin: ['config', 'errors', 'observe', 'routing', 'state', 'experiments'],
  console: [], // browser code: talks to the admin API over HTTP only
  app: ['config', 'errors', 'exchange', 'version', 'observe', 'http', 'anonymize', 'compare', 'routing', 'state', 'dataset', 'shadow', 'shadow-threads', 'grpc', 'proxy', 'admin', 'ledger', 'experiments', 'quality'],
  demo: ['config', 'errors', 'exchange', 'observe', 'compare', 'routing', 'dataset', 'replay', 'app'],
  cli: ['config', 'errors', 'exchange', 'version', 'observe', 'anonymize', 'compare', 'routing', 'state', 'dataset', 'shadow', 'proxy', 'admin', 'app', 'demo', 'ledger', 'pipeline', 'replay', 'quality', 'experiments'],
};

/** file → rooms it may import beyond its room's rule, and why (each one is debt, named in the doc). */
const EXCEPTIONS: Readonly<Record<string, readonly string[]>> = {};

function roomOf(file: string): string {
  const rel = relative(SRC, file);
  const first = rel.split('/')[0]!;
  return rel.includes('/') ? first : first.replace(/\.(ts|mts|mjs)$/, '');
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|mts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function edges(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const room = roomOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = normalize(join(dirname(file), (m[1] ?? m[2])!));
      if (!target.startsWith(SRC)) continue;
      const to = roomOf(target.replace(/\.js$/, '.ts'));
      if (to === room) continue;
      const key = relative(SRC, file);
      if (!out.has(key)) out.set(key, new Set());
      out.get(key)!.add(to);
    }
  }
  return out;
}

/** Every import from node:net names only its pure address checks (`import { isIPv4, isIPv6 } from 'node:net'`). */
function onlyAddressChecks(text: string): boolean {
  for (const m of text.matchAll(/^import ([^;]*) from ['"]node:net['"]/gm)) {
    const names = /^\{([^}]*)\}$/.exec(m[1]!.trim())?.[1]?.split(',').map((n) => n.trim()).filter(Boolean);
    if (names === undefined || names.some((n) => !/^isIP(v4|v6)?$/.test(n))) return false;
  }
  return true;
}

describe('import rules (docs/architecture.md)', () => {
  const graph = edges();

  it('every room in src/ has a rule', () => {
    const rooms = new Set(sources(SRC).map(roomOf));
    expect([...rooms].filter((r) => !(r in ALLOWED)).sort()).toEqual([]);
  });

  it('no file imports a room its rule does not allow, beyond its listed exception', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const room = roomOf(join(SRC, file));
      for (const to of targets) {
        if (ALLOWED[room]?.includes(to) || EXCEPTIONS[file]?.includes(to) || (to === 'kernel' && room !== 'console')) continue;
        wrong.push(`${file} → ${to}`);
      }
    }
    expect(wrong.sort()).toEqual([]);
  });

  it('every listed exception is still needed', () => {
    const stale: string[] = [];
    for (const [file, rooms] of Object.entries(EXCEPTIONS)) {
      for (const to of rooms) if (!graph.get(file)?.has(to) || ALLOWED[roomOf(join(SRC, file))]?.includes(to)) stale.push(`${file} → ${to}`);
    }
    expect(stale).toEqual([]);
  });

  it('the engines stay free of sockets, timers and metrics', () => {
    const impure: string[] = [];
    for (const file of sources(SRC)) {
      const room = roomOf(file);
      if (room !== 'anonymize' && room !== 'compare') continue;
      const text = readFileSync(file, 'utf8');
      // Type imports and node:net's pure address checks (isIP, isIPv4, isIPv6) are fine; a socket, a client,
      // a metric, a logger or a timer is not.
      const sockets = /^import (?!type )[^;]*from ['"]node:(http|https|http2|dgram|tls)['"]/m.test(text) || !onlyAddressChecks(text);
      if (sockets || /from ['"](undici|prom-client|pino|ioredis)['"]|\bsetTimeout\(|\bsetInterval\(/.test(text)) impure.push(relative(SRC, file));
    }
    expect(impure).toEqual([]);
  });
});
