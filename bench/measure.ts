// One measured case: start the subject, warm it up (JIT, pools), reset its windows, run the load,
// read memory and event-loop delay, stop it. Failures become a failed row, never a crashed run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLoad } from './load.js';
import { cpuSeconds, mainThreadCpuSeconds } from './procs.js';
import type { CaseResult } from './report.js';
import type { BenchEnv, Running, Subject } from './subjects.js';

export type MeasureOptions = { durationS: number; warmupS: number; connections: number; overallRate?: number; body?: string };

/**
 * Resolves once the process tree has used under 5% of a core over half a second (or after `maxMs`): its
 * start-up is over. Polled, since nothing else tells when a child's background loading is done.
 */
export async function settled(pid: number, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = cpuSeconds(pid);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuSeconds(pid);
    if (now - last < 0.025) return;
    last = now;
  }
}

/** Run a subject under load; `during` runs alongside the measured load (soak sampling). */
export async function measureCase(subject: Subject, env: BenchEnv, opts: MeasureOptions, during?: (running: Running) => () => void): Promise<CaseResult> {
  const base = { name: subject.name, group: subject.group };
  const skip = subject.skipReason(env);
  if (skip !== undefined) return { ...base, status: 'skipped', reason: skip };
  let running: Running | undefined;
  const startedAt = Date.now();
  try {
    running = await subject.start(env);
    const load = {
      url: running.url, connections: opts.connections,
      ...(opts.overallRate !== undefined ? { overallRate: opts.overallRate } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    };
    // Start-up work that runs after the port answers (the shadow threads load while the proxy listens)
    // must not be billed to the measured requests: wait until the process tree idles first.
    if (running.pid !== undefined) await settled(running.pid);
    if (opts.warmupS > 0) await runLoad({ ...load, durationS: opts.warmupS });
    await running.beforeMeasure();
    const stopDuring = during?.(running);
    const pid = running.pid;
    const cpuBefore = pid !== undefined ? [cpuSeconds(pid), mainThreadCpuSeconds(pid)] as const : undefined;
    const fromMs = Date.now() - startedAt;
    const result = await runLoad({ ...load, durationS: opts.durationS });
    // Under --profile, the measured load's place on the profile's timeline (it starts with the process).
    if (env.profileDir !== undefined && subject.group === 'shadowgate') {
      writeFileSync(join(env.profileDir, `${subject.name}.window.json`), `${JSON.stringify({ fromMs, toMs: Date.now() - startedAt })}\n`);
    }
    const cpu = cpuBefore !== undefined && pid !== undefined ? cpuSeconds(pid) - cpuBefore[0] : undefined;
    const mainCpu = cpuBefore !== undefined && pid !== undefined ? mainThreadCpuSeconds(pid) - cpuBefore[1] : undefined;
    stopDuring?.();
    const after = await running.afterMeasure();
    return {
      ...base, status: 'ok', load: result,
      ...(after.peakRssBytes !== undefined ? { peakRssBytes: after.peakRssBytes } : {}),
      ...(cpu !== undefined ? { cpuSeconds: cpu } : {}),
      ...(mainCpu !== undefined ? { mainThreadCpuSeconds: mainCpu } : {}),
      ...(after.loopDelay !== undefined ? { loopDelay: after.loopDelay } : {}),
      extra: after.extra,
    };
  } catch (err) {
    return { ...base, status: 'failed', reason: err instanceof Error ? err.message.slice(0, 2000) : String(err) };
  } finally {
    await running?.stop();
  }
}
