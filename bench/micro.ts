// Micro-benchmarks written by the engine owners (anonymizer MB/s, one comparison µs, canary decision
// ns): run each compiled module with a main, if present, and keep the JSON it prints.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MICRO_SCRIPTS = ['anonymize-targets', 'anonymize-throughput', 'compare-micro', 'canary-micro', 'protocols-micro'] as const;

export type MicroResult = { name: string; status: 'ok' | 'skipped' | 'failed'; result?: unknown; output?: string; reason?: string };

/** The printed JSON: the whole output, else the last line that parses. */
function lastJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    for (const line of text.trim().split('\n').reverse()) {
      try {
        return JSON.parse(line);
      } catch {
        // not JSON: keep looking upward
      }
    }
  }
  return undefined;
}

export async function runMicro(name: string, quick: boolean): Promise<MicroResult> {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(file)) return { name, status: 'skipped', reason: `${name}.js not built` };
  return new Promise((resolve) => {
    // Quick mode travels in the environment: an unknown flag could trip a module's strict parseArgs.
    const env = { ...process.env, SHADOWGATE_BENCH_QUICK: quick ? '1' : '' };
    execFile(process.execPath, [file], { env, timeout: 180_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) return resolve({ name, status: 'failed', reason: `${err.message}\n${stderr.slice(-2000)}` });
      const result = lastJson(stdout);
      resolve(result === undefined ? { name, status: 'ok', output: stdout.slice(-4000) } : { name, status: 'ok', result });
    });
  });
}

type TargetRowJson = { row: string; bodies: number; meanBytes: number; target: number; mbPerCpuSecond: number; met: boolean; dropped: number; baselineMbPerCpuSecond?: number };
type CodecRowJson = { format: string; meanBytes: number; mbPerCpuSecond: number; dropped: number };

/** The anonymizer's target rows (anonymize-targets) as a markdown table: MB per CPU-second against each target, met or missed. */
export function anonymizerTable(m: MicroResult): string | undefined {
  const r = m.result as { bench?: string; targets?: TargetRowJson[]; codecs?: CodecRowJson[] } | undefined;
  if (m.status !== 'ok' || r?.bench !== 'anonymize-targets' || r.targets === undefined) return undefined;
  const lines = ['| anonymizer (CPU time, cold memo) | bodies × mean size | MB per CPU-second | target | |', '|---|---:|---:|---:|---|'];
  for (const t of r.targets) lines.push(`| ${t.row} | ${t.bodies} × ${t.meanBytes} B | ${t.mbPerCpuSecond.toFixed(1)} | ≥ ${t.target} | ${t.met ? 'met' : '**missed**'}${t.dropped > 0 ? ` (${t.dropped} dropped)` : ''} |`);
  for (const c of r.codecs ?? []) lines.push(`| codec: ${c.format} | ${c.meanBytes} B | ${c.mbPerCpuSecond.toFixed(1)} | – | ${c.dropped > 0 ? `${c.dropped} dropped` : ''} |`);
  return lines.join('\n');
}
