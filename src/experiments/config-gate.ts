// The experiment gate on a configuration reload: a new configuration that would give a gated candidate
// live traffic — a configured canary weight raised above what it was, or a rollout with autoStart where
// there was none — is refused with the reason, as the admin API refuses a canary weight. A weight lowered,
// or left as it was, passes: the gate never takes traffic away from the incumbent's side.
import type { Config } from '../config/schema.js';

/** Why `route`'s candidate may not take live traffic (undefined: it may). */
export type GateQuestion = (route: string, candidate: string) => string | undefined;

/** One line per route whose new canary settings the gate refuses; empty when the reload may go on. */
export function configGateRefusals(previous: Config, next: Config, gate: GateQuestion): string[] {
  const out: string[] = [];
  for (const r of next.routes) {
    const c = r.canary;
    if (c === undefined) continue;
    const before = previous.routes.find((p) => p.name === r.name)?.canary;
    const same = before !== undefined && before.upstream === c.upstream ? before : undefined;
    const wasWeight = same?.weight ?? 0;
    const raises = c.weight > 0 && c.weight > wasWeight;
    // A rollout starts at load only where the route had none (reconcile leaves an idle one idle).
    const starts = c.rollout?.autoStart === true && same?.rollout === undefined;
    if (!raises && !starts) continue;
    const reason = gate(r.name, c.upstream);
    if (reason === undefined) continue;
    const what = raises ? `canary.weight ${c.weight} (was ${wasWeight})` : 'canary.rollout with autoStart';
    out.push(`route "${r.name}": ${what} would give candidate "${c.upstream}" live traffic, but ${reason} (weight 0 or no autoStart in the file; then conclude the experiment, or override through the admin API with a reason)`);
  }
  return out;
}
