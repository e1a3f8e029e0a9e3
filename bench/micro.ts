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
