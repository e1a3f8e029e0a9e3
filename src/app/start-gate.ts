// The experiment gate on the configuration a process starts with (serve and check-config): the
// experiments as the experiments file keeps them (configured ones not there yet start proposed), and the
// overrides the audit trail records. Read-only: nothing is written, no socket opened.
import type { Config } from '../config/schema.js';
import { ExperimentRegistry, type Experiment } from '../experiments/index.js';
import { startGateRefusals } from '../experiments/config-gate.js';
import { AUDIT_MEMORY, AuditLog } from '../state/audit.js';
import { createLogger } from '../observe/log.js';

/**
 * Whether an operator overrode the gate for this experiment as it stands now: an `experiment.override`
 * in the audit trail's tail (the last AUDIT_MEMORY records) for the route, naming the experiment in the
 * same state and outcome. An override made before the experiment moved on (concluded fail, say) does not count.
 */
function overridden(trail: readonly { action: string; route: string | null; result: string; before: unknown }[], route: string, e: Experiment): boolean {
  return trail.some((r) => {
    if (r.action !== 'experiment.override' || r.route !== route || r.result !== 'ok') return false;
    const b = r.before as { id?: unknown; state?: unknown; outcome?: unknown } | null;
    return b !== null && typeof b === 'object' && b.id === e.id && b.state === e.state && (b.outcome ?? null) === e.outcome;
  });
}

/** One line per refusal (`routes[0].canary.weight: …`); empty when the process may start with `config`. */
export function startGate(config: Config): string[] {
  const gated = config.routes.some((r) => r.canary !== undefined && (r.canary.weight > 0 || r.canary.rollout?.autoStart === true));
  if (!gated) return [];
  const experiments = new ExperimentRegistry(config.experiments, config.admin.experimentsFile);
  let trail: ReturnType<AuditLog['latest']> | undefined;
  return startGateRefusals(config, (route, candidate) => {
    const blocked = experiments.gate(route, candidate);
    if (blocked === undefined) return undefined;
    trail ??= new AuditLog(config.admin.auditFile, createLogger('silent')).latest(AUDIT_MEMORY);
    return overridden(trail, route, blocked.experiment) ? undefined : blocked.reason;
  });
}
