// What the bench measures: the upstream fleet every case shares, and each subject (direct, the
// shadowgate modes, the Node and NGINX peers) as one start() that returns a running proxy process.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoopDelay } from './child-ipc.js';
import { ANSWERS, type UpstreamRole } from './fixtures.js';
import { startNginx } from './nginx.js';
import { freePort, peakRss, retryOnPortRace, startNodeChild, type Proc } from './procs.js';
import { scrapeShadowgate, shadowgateBuilt, startShadowgate, type ShadowgateCounters, type ShadowgateMode, type Upstreams } from './shadowgate.js';

const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

export type BenchEnv = {
  readonly dir: string;
  readonly nginx: string | undefined;
  readonly upstreams: Upstreams;
  readonly connections: number;
  /** When set, shadowgate runs under --cpu-prof and writes <case>.cpuprofile here. */
  readonly profileDir: string | undefined;
  readonly workers: number;
  /** Extra Node flags for shadowgate processes (`--node-args`). */
  readonly nodeArgs: readonly string[];
};

/** A proxy under load: where to send traffic and what to read from it afterwards. */
export type Running = {
  readonly url: string;
  /** The proxy's root process (undefined for direct). */
  readonly pid: number | undefined;
  /** Called once before the measured run: resets windows (event-loop histogram, counters). */
  beforeMeasure(): Promise<void>;
  afterMeasure(): Promise<{ peakRssBytes: number | undefined; loopDelay: LoopDelay | undefined; extra: Record<string, number> }>;
  stop(): Promise<void>;
};

export type Subject = {
  readonly name: string;
  readonly group: 'direct' | 'shadowgate' | 'peer';
  /** Why it cannot run here, or undefined when it can. */
  skipReason(env: BenchEnv): string | undefined;
  start(env: BenchEnv): Promise<Running>;
};

/** A Node peer process: its own monitorEventLoopDelay answers over IPC. */
function nodePeer(name: string, kind: string): Subject {
  return {
    name,
    group: 'peer',
    skipReason: () => undefined,
    async start(env) {
      const child = await startNodeChild(script('node-peer'), ['--kind', kind, '--target', env.upstreams.incumbent, '--connections', String(env.connections)]);
      const pid = child.child.pid ?? 0;
      return {
        url: `http://127.0.0.1:${child.port}`,
        pid,
        beforeMeasure: async () => void (await child.loopDelay()),
        afterMeasure: async () => ({ peakRssBytes: peakRss(pid), loopDelay: await child.loopDelay(), extra: {} }),
        stop: child.stop,
      };
    },
  };
}

function nginxPeer(name: string, mirror: boolean): Subject {
  return {
    name,
    group: 'peer',
    skipReason: (env) => (env.nginx === undefined ? 'nginx not installed' : undefined),
    start(env) {
      return retryOnPortRace(async () => {
        const port = await freePort();
        const { incumbent, candidate } = env.upstreams;
        const proc = await startNginx(env.nginx ?? 'nginx', env.dir, name, port, mirror ? { kind: 'mirror', incumbent, candidate } : { kind: 'proxy', incumbent });
        return procRunning(`http://127.0.0.1:${port}`, proc);
      });
    },
  };
}

function procRunning(url: string, proc: Proc): Running {
  const pid = proc.child.pid ?? 0;
  return {
    url,
    pid,
    beforeMeasure: async () => undefined,
    afterMeasure: async () => ({ peakRssBytes: peakRss(pid), loopDelay: undefined, extra: {} }),
    stop: proc.stop,
  };
}

/** `main`: another build's dist/src/cli/main.js (an older commit, for a before/after in one run). */
export function shadowgateSubject(name: string, mode: ShadowgateMode, workers?: number, main?: string, shadowThreads?: number): Subject {
  return {
    name,
    group: 'shadowgate',
    skipReason: () => (main !== undefined ? (existsSync(main) ? undefined : `${main} missing`) : shadowgateBuilt() ? undefined : 'shadowgate not built (dist/src/cli/main.js missing)'),
    async start(env) {
      // No --cpu-prof-name: each thread writes its own file (CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile) into
      // the case's directory; the run names them <case>.cpuprofile (tid 0, the live thread) and <case>.thread-N.
      const nodeArgs = env.profileDir === undefined ? [...env.nodeArgs] : [...env.nodeArgs, '--cpu-prof', '--cpu-prof-dir', join(env.profileDir, `${name}.profiles`)];
      const sg = await startShadowgate(mode, env.upstreams, env.dir, { workers: workers ?? env.workers, nodeArgs, name, ...(main !== undefined ? { main } : {}), ...(shadowThreads !== undefined ? { shadowThreads } : {}) });
      const pid = sg.child.pid ?? 0;
      let before: ShadowgateCounters = { loopDelay: undefined, shadowSent: 0, comparisons: 0, dropped: new Map() };
      return {
        url: sg.url,
        pid,
        beforeMeasure: async () => {
          before = await scrapeShadowgate(sg.metricsUrl);
        },
        afterMeasure: async () => {
          const peakRssBytes = peakRss(pid);
          const after = await scrapeShadowgate(sg.metricsUrl);
          const extra: Record<string, number> = {
            shadowSent: after.shadowSent - before.shadowSent,
            comparisons: after.comparisons - before.comparisons,
          };
          for (const [reason, n] of after.dropped) {
            const delta = n - (before.dropped.get(reason) ?? 0);
            if (delta > 0) extra[`dropped.${reason}`] = delta;
          }
          return { peakRssBytes, loopDelay: after.loopDelay, extra };
        },
        stop: sg.stop,
      };
    },
  };
}

export const DIRECT: Subject = {
  name: 'direct',
  group: 'direct',
  skipReason: () => undefined,
  start: async (env) => ({
    url: env.upstreams.incumbent,
    pid: undefined,
    beforeMeasure: async () => undefined,
    afterMeasure: async () => ({ peakRssBytes: undefined, loopDelay: undefined, extra: {} }),
    stop: async () => undefined,
  }),
};

/** Every case of the main table, in the order they run and print. */
export const SUBJECTS: readonly Subject[] = [
  DIRECT,
  shadowgateSubject('shadowgate-passthrough', 'passthrough'),
  shadowgateSubject('shadowgate-shadow', 'shadow'),
  shadowgateSubject('shadowgate-shadow-baseline', 'shadow-baseline'),
  shadowgateSubject('shadowgate-canary10', 'canary10'),
  nodePeer('http-proxy', 'http-proxy'),
  nodePeer('fastify-reply-from', 'reply-from'),
  nginxPeer('nginx-proxy-pass', false),
  nginxPeer('nginx-mirror', true),
];

/**
 * node:http + undici with none of shadowgate's own work (node-peer.ts `floor`): not in the main table;
 * pacing-check.js runs it (`--only node-floor`) to show what of the passthrough's cost is the platform's.
 */
export const NODE_FLOOR: Subject = nodePeer('node-floor', 'floor');

export type UpstreamKind = 'node' | 'nginx';
export type UpstreamFleet = { readonly urls: Upstreams; readonly kind: UpstreamKind; stop(): Promise<void> };

/** Start one upstream process; `node` may answer after a delay (the slow candidate). */
export async function startUpstream(kind: UpstreamKind, role: UpstreamRole, env: { dir: string; nginx: string | undefined }, delayMs = 0): Promise<{ url: string; stop(): Promise<void> }> {
  if (kind === 'nginx' && delayMs === 0) {
    const port = await freePort();
    const proc = await startNginx(env.nginx ?? 'nginx', env.dir, `upstream-${role}`, port, { kind: 'static', answer: ANSWERS[role] });
    return { url: `http://127.0.0.1:${port}`, stop: proc.stop };
  }
  const child = await startNodeChild(script('upstream'), ['--role', role, '--delay-ms', String(delayMs)]);
  return { url: `http://127.0.0.1:${child.port}`, stop: child.stop };
}

/** Incumbent, candidate and baseline, each in its own process. */
export async function startFleet(kind: UpstreamKind, env: { dir: string; nginx: string | undefined }): Promise<UpstreamFleet> {
  const [incumbent, candidate, baseline] = await Promise.all(
    (['incumbent', 'candidate', 'baseline'] as const).map((role) => startUpstream(kind, role, env)),
  );
  if (incumbent === undefined || candidate === undefined || baseline === undefined) throw new Error('upstream fleet did not start');
  return {
    kind,
    urls: { incumbent: incumbent.url, candidate: candidate.url, baseline: baseline.url },
    stop: async () => void (await Promise.all([incumbent.stop(), candidate.stop(), baseline.stop()])),
  };
}
