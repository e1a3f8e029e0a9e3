// Reading a V8 .cpuprofile (from node --cpu-prof): self time summed by function and file, so the
// bench can name the hot spots of the proxy's hot path without opening DevTools.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
export type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime?: number };

export type HotSpot = { functionName: string; file: string; line: number; selfMs: number; share: number };

function isProfile(v: unknown): v is CpuProfile {
  const p = v as Partial<CpuProfile> | null;
  return p !== null && typeof p === 'object' && Array.isArray(p.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas);
}

/** A part of the profile's timeline, in ms from its start (the process's start): the measured load alone. */
export type ProfileWindow = { fromMs: number; toMs: number };

export function readProfile(file: string): CpuProfile {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isProfile(parsed)) throw new Error(`${file} is not a V8 cpuprofile`);
  return parsed;
}

/** The n functions with the most self time; idle and GC are kept (they say where the time goes). */
export function topSelfTime(file: string, n = 3, window?: ProfileWindow): HotSpot[] {
  return hotSpots(readProfile(file), n, undefined, window);
}

/** Each sample's frame and duration (µs), inside the window when one is given. */
function eachSample(parsed: CpuProfile, window: ProfileWindow | undefined, fn: (frame: ProfileNode['callFrame'], us: number) => void): void {
  const frameOf = new Map(parsed.nodes.map((node) => [node.id, node.callFrame]));
  let at = 0;
  parsed.samples.forEach((id, i) => {
    at += parsed.timeDeltas[i] ?? 0;
    if (window !== undefined && (at < window.fromMs * 1000 || at > window.toMs * 1000)) return;
    const frame = frameOf.get(id);
    // A sample's delta is the time until the next sample: the time spent in the sampled frame.
    if (frame !== undefined) fn(frame, parsed.timeDeltas[i + 1] ?? 0);
  });
}

/** Self time by function of a parsed profile; `(idle)` and `(program)` are not work of ours. */
export function hotSpots(parsed: CpuProfile, n: number, exclude: readonly string[] = ['(idle)', '(program)'], window?: ProfileWindow): HotSpot[] {
  const selfUs = new Map<string, { functionName: string; file: string; line: number; us: number }>();
  let total = 0;
  eachSample(parsed, window, (frame, us) => {
    if (exclude.includes(frame.functionName)) return;
    const fileName = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|dist)\//, '$1/');
    const key = `${frame.functionName}|${fileName}|${frame.lineNumber}`;
    const entry = selfUs.get(key) ?? { functionName: frame.functionName || '(anonymous)', file: fileName, line: frame.lineNumber + 1, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
    total += us;
  });
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ functionName: e.functionName, file: e.file, line: e.line, selfMs: e.us / 1000, share: total > 0 ? e.us / total : 0 }));
}

export type OriginShare = { origin: string; selfMs: number; share: number };

/** Where a sampled frame's code comes from: our rooms, a dependency, a part of Node, or native work. */
export function originOf(frame: { functionName: string; url: string }): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : `native ${frame.functionName}`;
  const ours = /\/dist\/src\/([^/]+)(\/|\.js)/.exec(url);
  if (ours !== null) return `shadowgate ${ours[1]}`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dep !== null) return dep[1]!;
  if (url.startsWith('node:internal/streams') || url.startsWith('node:internal/stream_base')) return 'node streams';
  if (url.startsWith('node:_http') || url === 'node:http') return 'node http';
  if (url.startsWith('node:internal/timers') || url === 'node:timers') return 'node timers';
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? `node ${url.slice(14).split('/')[0]}` : url;
  if (url.startsWith('wasm://')) return 'wasm (undici llhttp)';
  return url;
}

/** Self time grouped by origin (originOf), largest first: where a request's CPU on this thread went. */
export function selfTimeByOrigin(parsed: CpuProfile, window?: ProfileWindow, exclude: readonly string[] = ['(idle)', '(program)']): OriginShare[] {
  const byOrigin = new Map<string, number>();
  let total = 0;
  eachSample(parsed, window, (frame, us) => {
    if (exclude.includes(frame.functionName)) return;
    const o = originOf(frame);
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + us);
    total += us;
  });
  return [...byOrigin].sort((a, b) => b[1] - a[1]).map(([origin, us]) => ({ origin, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}

/**
 * The profiles one process wrote into `dir` (one per thread, node's default names end in
 * `.<pid>.<tid>.<seq>.cpuprofile`): the live thread's (tid 0) and the others', by thread id.
 */
export function threadProfiles(dir: string): { live: string | undefined; threads: { tid: number; file: string }[] } {
  if (!existsSync(dir)) return { live: undefined, threads: [] };
  let live: string | undefined;
  const threads: { tid: number; file: string }[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(f);
    if (m === null) continue;
    const tid = Number(m[2]);
    if (tid === 0) live = join(dir, f);
    else threads.push({ tid, file: join(dir, f) });
  }
  return { live, threads };
}

/** A window measured on one thread's timeline, moved onto another's (their startTime share one monotonic clock). */
export function shiftWindow(window: ProfileWindow, from: CpuProfile, to: CpuProfile): ProfileWindow {
  const deltaMs = ((to.startTime ?? 0) - (from.startTime ?? 0)) / 1000;
  return { fromMs: window.fromMs - deltaMs, toMs: window.toMs - deltaMs };
}
