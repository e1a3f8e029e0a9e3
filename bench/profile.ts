// Reading a V8 .cpuprofile (from node --cpu-prof): self time summed by function and file, so the
// bench can name the hot spots of the proxy's hot path without opening DevTools.
import { readFileSync } from 'node:fs';

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };
export type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type HotSpot = { functionName: string; file: string; line: number; selfMs: number; share: number };

function isProfile(v: unknown): v is CpuProfile {
  const p = v as Partial<CpuProfile> | null;
  return p !== null && typeof p === 'object' && Array.isArray(p.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas);
}

/** The n functions with the most self time; idle and GC are kept (they say where the time goes). */
export function topSelfTime(file: string, n = 3): HotSpot[] {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isProfile(parsed)) throw new Error(`${file} is not a V8 cpuprofile`);
  return hotSpots(parsed, n);
}

/** Self time by function of a parsed profile; `(idle)` and `(program)` are not work of ours. */
export function hotSpots(parsed: CpuProfile, n: number, exclude: readonly string[] = ['(idle)', '(program)']): HotSpot[] {
  const frameOf = new Map(parsed.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<string, { functionName: string; file: string; line: number; us: number }>();
  let total = 0;
  parsed.samples.forEach((id, i) => {
    const frame = frameOf.get(id);
    // A sample's delta is the time until the next sample: the time spent in the sampled frame.
    const us = parsed.timeDeltas[i + 1] ?? 0;
    if (frame === undefined || exclude.includes(frame.functionName)) return;
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
