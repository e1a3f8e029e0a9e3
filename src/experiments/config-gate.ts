// The experiment gate on a configuration: a configuration that would give a gated candidate live
// traffic — a configured canary weight raised above what it was, or a rollout with autoStart where
// there was none — is refused with the reason, as the admin API refuses a canary weight. A weight lowered,
// or left as it was, passes: the gate never takes traffic away from the incumbent's side. On a reload
// "what it was" is the running configuration; at start (startGateRefusals) it is nothing: a process that
// starts with a gated candidate's weight above 0, or a self-starting rollout, is refused too.
import type { Config } from '../config/schema.js';

/** Why `route`'s candidate may not take live traffic (undefined: it may). */
export type GateQuestion = (route: string, candidate: string) => string | undefined;

interface Refusal {
  /** The route's index in `routes`, for the path in the file. */
  readonly index: number;
  readonly route: string;
  /** weight: canary.weight raised; rollout: canary.rollout with autoStart added. */
  readonly field: 'weight' | 'rollout';
  readonly weight: number;
  readonly wasWeight: number;
  readonly candidate: string;
  readonly reason: string;
}

const HOW = '(weight 0 or no autoStart in the file; then conclude the experiment, or override through the admin API with a reason)';

function refusals(previous: readonly Config['routes'][number][], next: Config, gate: GateQuestion): Refusal[] {
  const out: Refusal[] = [];
  next.routes.forEach((r, index) => {
    const c = r.canary;
    if (c === undefined) return;
    const before = previous.find((p) => p.name === r.name)?.canary;
    const same = before !== undefined && before.upstream === c.upstream ? before : undefined;
    const wasWeight = same?.weight ?? 0;
    const raises = c.weight > 0 && c.weight > wasWeight;
    // A rollout starts at load only where the route had none (reconcile leaves an idle one idle).
    const starts = c.rollout?.autoStart === true && same?.rollout === undefined;
    if (!raises && !starts) return;
    const reason = gate(r.name, c.upstream);
    if (reason === undefined) return;
    out.push({ index, route: r.name, field: raises ? 'weight' : 'rollout', weight: c.weight, wasWeight, candidate: c.upstream, reason });
  });
  return out;
}

/** One line per route whose new canary settings the gate refuses; empty when the reload may go on. */
export function configGateRefusals(previous: Config, next: Config, gate: GateQuestion): string[] {
  return refusals(previous.routes, next, gate).map((f) => {
    const what = f.field === 'weight' ? `canary.weight ${f.weight} (was ${f.wasWeight})` : 'canary.rollout with autoStart';
    return `route "${f.route}": ${what} would give candidate "${f.candidate}" live traffic, but ${f.reason} ${HOW}`;
  });
}

/**
 * The gate on the configuration a process starts with: one line per refusal, each starting with its path
 * in the file (`routes[0].canary.weight: …`), as check-config names a problem. Empty: the start may go on.
 */
export function startGateRefusals(config: Config, gate: GateQuestion): string[] {
  return refusals([], config, gate).map((f) => {
    const path = `routes[${f.index}].canary.${f.field === 'weight' ? 'weight' : 'rollout.autoStart'}`;
    const what = f.field === 'weight' ? `a canary weight of ${f.weight} at start` : 'a rollout that starts itself';
    return `${path}: ${what} would give candidate "${f.candidate}" of route "${f.route}" live traffic, but ${f.reason} ${HOW}`;
  });
}
