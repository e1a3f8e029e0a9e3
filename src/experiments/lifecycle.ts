// An experiment's lifecycle, pure: proposed → approved → running → concluded(pass | fail | inconclusive).
// Every other move is refused with its reason; approval needs a second person with the approver
// capability (four eyes). The registry and the admin API apply these rules; tests read them as a table.

export type ExperimentState = 'proposed' | 'approved' | 'running' | 'concluded';
export type ExperimentAction = 'approve' | 'start' | 'conclude';
export type Outcome = 'pass' | 'fail' | 'inconclusive';

export const NEXT: Readonly<Record<ExperimentAction, { readonly from: ExperimentState; readonly to: ExperimentState }>> = {
  approve: { from: 'proposed', to: 'approved' },
  start: { from: 'approved', to: 'running' },
  conclude: { from: 'running', to: 'concluded' },
};

export type TransitionResult = { readonly ok: true; readonly next: ExperimentState } | { readonly ok: false; readonly reason: string };

/** Where `action` takes an experiment in `state`, or why it cannot. */
export function transition(state: ExperimentState, action: ExperimentAction): TransitionResult {
  const rule = NEXT[action];
  if (state === rule.from) return { ok: true, next: rule.to };
  if (state === 'concluded') return { ok: false, reason: `the experiment is concluded: ${action} is not possible (propose a new experiment)` };
  return { ok: false, reason: `${action} needs the experiment ${rule.from}, it is ${state}` };
}

/** Why `identity` may not approve an experiment proposed by `proposer` (undefined: it may). */
export function approvalRefusal(proposer: string, identity: string, approver: boolean): string | undefined {
  if (!approver) return `approval needs a token with the approver capability; "${identity}" has none`;
  if (identity === proposer) return `four eyes: "${identity}" proposed this experiment and cannot approve it; another approver must`;
  return undefined;
}
