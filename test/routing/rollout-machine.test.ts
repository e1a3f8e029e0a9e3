// The rollout machine as a table of states × events: each row is a state, an event, and the expected next
// state and effects (in order). Pure: no runtime, no clock, no timers; `now` is a number.
import { describe, expect, it } from 'vitest';
import { canarySchema } from '../../src/config/schema/canary.js';
import type { CanaryConfig } from '../../src/config/schema.js';
import type { GuardrailCheck } from '../../src/routing/guardrails.js';
import type { PersistedRoute } from '../../src/routing/rollout.js';
import {
  INITIAL_ROLLOUT, transition, type RolloutEffect, type RolloutEvent, type RolloutMachineState,
} from '../../src/routing/rollout-machine.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

const canary = (c: Record<string, unknown>): CanaryConfig => canarySchema.parse({ upstream: 'candidate', ...c });
const STEPS = canary({ rollout: { steps: [10, 50, 100], stepDuration: '1m', minRequests: 100 } });
const MANUAL = canary({ rollout: { steps: [10, 50], stepDuration: '1m', minRequests: 100, autoStart: false } });
const STATIC = canary({ weight: 20 });
const overdue = (choice: string) => canary({ rollout: { steps: [10, 50], stepDuration: '1m', minRequests: 100, maxStepDuration: '5m', onMaxStepDuration: choice } });

const S = (s: Partial<RolloutMachineState>): RolloutMachineState => ({ ...INITIAL_ROLLOUT, rev: 5, changedAt: T0, changedBy: 'ops', ...s });
const running = (step: number, extra: Partial<RolloutMachineState> = {}) => S({ state: 'running', step, override: [10, 50, 100][step]!, stepStartedAt: T0, ...extra });
const paused = S({ state: 'paused', step: 1, override: 50, stepStartedAt: T0 });
const idle = S({ state: 'idle' });
const complete = S({ state: 'complete', step: 2, override: 100, stepStartedAt: T0 });
const promoted = S({ state: 'promoted', override: 100 });
const rolledBack = S({ state: 'rolled_back', override: 0, rollback: { metric: 'manual', value: null, threshold: null, at: T0, by: 'ops' } });
const staticState = S({ state: 'static' });

const check = (result: GuardrailCheck['result'], metric: GuardrailCheck['metric'] = 'error_rate_delta'): GuardrailCheck => ({
  metric, n: 200, value: result === 'breach' ? 0.3 : 0.01, bound: result === 'breach' ? 0.2 : 0.02, threshold: 0.05, result, detail: '',
});
const verdict = (result: GuardrailCheck['result'] | 'none', stepN = 200, extra: Partial<Extract<RolloutEvent, { type: 'verdict' }>> = {}): RolloutEvent => ({
  type: 'verdict', judging: true, checks: result === 'none' ? [] : [check(result)], stepN, need: 'needs ~50 more candidate requests', ...extra,
});
const saved = (p: Partial<PersistedRoute>): PersistedRoute => ({
  override: 50, state: 'running', step: 1, stepStartedAt: T0 + MIN, rollback: null, changedAt: T0 + MIN, changedBy: 'shadowgate', rev: 6, ...p,
});

interface Row {
  readonly name: string;
  readonly cfg: CanaryConfig | undefined;
  readonly state: RolloutMachineState;
  readonly event: RolloutEvent;
  readonly now?: number;
  /** Fields of the next state (unlisted fields: as they were, checked for the rollout's own fields). */
  readonly next: Partial<RolloutMachineState>;
  /** The effects' types, in order. */
  readonly effects: readonly RolloutEffect['type'][];
  /** Some effects in full (matched in order against the effects of those types). */
  readonly detail?: readonly Partial<RolloutEffect>[];
  readonly refused?: RegExp;
  readonly ignored?: boolean;
}

const rows: Row[] = [
  // ---- init and config ----
  { name: 'init, rollout with autoStart → running at step 1', cfg: STEPS, state: INITIAL_ROLLOUT, event: { type: 'init' }, now: T0,
    next: { state: 'running', step: 0, override: 10, stepStartedAt: T0, changedBy: 'shadowgate' }, effects: ['reset-step'] },
  { name: 'init, rollout without autoStart → idle', cfg: MANUAL, state: INITIAL_ROLLOUT, event: { type: 'init' }, next: { state: 'idle', override: null }, effects: [] },
  { name: 'init, no rollout → static', cfg: STATIC, state: INITIAL_ROLLOUT, event: { type: 'init' }, next: { state: 'static' }, effects: [] },
  { name: 'init from a saved state keeps it (step clamped to the config)', cfg: MANUAL, state: INITIAL_ROLLOUT,
    event: { type: 'init', saved: saved({ step: 2, override: 100, state: 'paused', rev: 9 }) }, next: { state: 'paused', step: 1, override: 100, rev: 9 }, effects: [] },
  { name: 'config without a canary → static, no override', cfg: undefined, state: paused, event: { type: 'config' }, next: { state: 'static', override: null }, effects: [] },
  { name: 'config whose rollout was removed → static, override kept', cfg: STATIC, state: paused, event: { type: 'config' }, next: { state: 'static', override: 50 }, effects: [] },
  { name: 'config gaining a rollout with autoStart → running', cfg: STEPS, state: staticState, event: { type: 'config' }, now: T0,
    next: { state: 'running', step: 0, override: 10, stepStartedAt: T0 }, effects: ['reset-step'] },

  // ---- operator actions: the weight is pushed, then persisted, never fenced ----
  { name: 'set on running → paused at the weight', cfg: STEPS, state: running(0), event: { type: 'set', weight: 33.333, by: 'alice' },
    next: { state: 'paused', override: 33.33, changedBy: 'alice', changedAt: T0 + MIN, status: 'paused at 33.33% (step 1/3); resume to continue' },
    effects: ['set-weight', 'persist'], detail: [{ type: 'set-weight', weight: 33.33, blocked: false }, { type: 'persist', fenced: false }] },
  { name: 'set on complete → paused at the weight, step kept', cfg: STEPS, state: complete, event: { type: 'set', weight: 80, by: 'alice' },
    next: { state: 'paused', step: 2, override: 80 }, effects: ['set-weight', 'persist'] },
  { name: 'promote on complete → promoted at 100%', cfg: STEPS, state: complete, event: { type: 'promote', by: 'alice' },
    next: { state: 'promoted', override: 100, status: 'promoted: the candidate serves 100%' }, effects: ['set-weight', 'persist'] },
  { name: 'set on rolled_back (rollout) → paused, reason cleared', cfg: STEPS, state: rolledBack, event: { type: 'set', weight: 5, by: 'alice' },
    next: { state: 'paused', override: 5, rollback: null }, effects: ['set-weight', 'persist'] },
  { name: 'set on promoted (no rollout) → static', cfg: STATIC, state: promoted, event: { type: 'set', weight: 5, by: 'alice' }, next: { state: 'static', override: 5 }, effects: ['set-weight', 'persist'] },
  { name: 'clear on rolled_back (rollout) → idle at the config weight', cfg: STEPS, state: rolledBack, event: { type: 'clear', by: 'alice' },
    next: { state: 'idle', override: null, rollback: null, status: 'idle: waiting for resume' }, effects: ['set-weight', 'persist'], detail: [{ type: 'set-weight', weight: 0, blocked: false }] },
  { name: 'clear on running keeps running', cfg: STEPS, state: running(1), event: { type: 'clear', by: 'alice' }, next: { state: 'running', override: null }, effects: ['set-weight', 'persist'] },
  { name: 'manual rollback: weight 0 and blocked first, counted, persisted unfenced, no alert or audit', cfg: STEPS, state: running(1), event: { type: 'rollback', by: 'alice' },
    next: { state: 'rolled_back', override: 0, rollback: { metric: 'manual', value: null, threshold: null, at: T0 + MIN, by: 'alice' } },
    effects: ['set-weight', 'metric', 'persist'], detail: [{ type: 'set-weight', weight: 0, blocked: true }, { type: 'metric', metric: 'rollback', reason: 'manual' }, { type: 'persist', fenced: false }] },
  { name: 'manual rollback of an overdue step clears the overdue gauge first', cfg: STEPS, state: running(1, { overdue: true }), event: { type: 'rollback', by: 'alice' },
    next: { state: 'rolled_back', overdue: false }, effects: ['metric', 'set-weight', 'metric', 'persist'], detail: [{ type: 'metric', metric: 'step-overdue', value: 0 }] },
  { name: 'promote → 100%', cfg: STEPS, state: running(0), event: { type: 'promote', by: 'alice' }, next: { state: 'promoted', override: 100 }, effects: ['set-weight', 'persist'] },
  { name: 'pause on running → paused', cfg: STEPS, state: running(1), event: { type: 'pause', by: 'alice' }, next: { state: 'paused', override: 50 }, effects: ['set-weight', 'persist'] },
  { name: 'pause on paused is refused', cfg: STEPS, state: paused, event: { type: 'pause', by: 'alice' }, next: paused, effects: [], refused: /has no running rollout \(state paused\)/ },
  { name: 'resume on paused → running at its step, step clock restarted', cfg: STEPS, state: paused, event: { type: 'resume', by: 'alice' }, now: T0 + 10 * MIN,
    next: { state: 'running', step: 1, override: 50, stepStartedAt: T0 + 10 * MIN }, effects: ['reset-step', 'set-weight', 'persist'] },
  { name: 'resume on idle → running from step 1', cfg: MANUAL, state: idle, event: { type: 'resume', by: 'alice' }, next: { state: 'running', step: 0, override: 10 }, effects: ['reset-step', 'set-weight', 'persist'] },
  { name: 'resume on rolled_back → running from step 1, reason cleared', cfg: STEPS, state: rolledBack, event: { type: 'resume', by: 'alice' },
    next: { state: 'running', step: 0, override: 10, rollback: null }, effects: ['reset-step', 'set-weight', 'persist'], detail: [{ type: 'reset-step', incumbent: true }, { type: 'set-weight', weight: 10, blocked: false }] },
  { name: 'resume on running is refused', cfg: STEPS, state: running(0), event: { type: 'resume', by: 'alice' }, next: running(0), effects: [], refused: /is already running/ },
  { name: 'resume without a rollout is refused', cfg: STATIC, state: staticState, event: { type: 'resume', by: 'alice' }, next: staticState, effects: [], refused: /has no rollout configured/ },

  // ---- the step timer ----
  { name: 'tick on running (judge) → evaluate', cfg: STEPS, state: running(0), event: { type: 'tick', judging: true }, next: running(0), effects: ['evaluate'] },
  { name: 'tick on running (not the judge) → follows, no evaluation', cfg: STEPS, state: running(0), event: { type: 'tick', judging: false },
    next: { status: 'following the fleet judge' }, effects: [] },
  { name: 'tick on rolled_back → says why, no evaluation', cfg: STEPS, state: rolledBack, event: { type: 'tick', judging: true }, next: { status: 'rolled back by ops (manual rollback) at 2023-11-14T22:13:20.000Z' }, effects: [] },
  { name: 'tick on an idle route at weight 0 → no evaluation', cfg: MANUAL, state: idle, event: { type: 'tick', judging: true }, next: { status: 'idle: waiting for resume' }, effects: [] },
  { name: 'tick on a static 20% canary → evaluate (guardrails watch it)', cfg: STATIC, state: staticState, event: { type: 'tick', judging: true }, next: staticState, effects: ['evaluate'] },

  // ---- guardrail verdicts ----
  { name: 'pass before stepDuration → holding', cfg: STEPS, state: running(0), event: verdict('pass'), now: T0 + 30_000,
    next: { state: 'running', step: 0, status: 'holding: step 1/3 at 10%, 30s left' }, effects: [] },
  { name: 'pass after stepDuration → next step, weight then fenced persist, audited', cfg: STEPS, state: running(0), event: verdict('pass'), now: T0 + MIN,
    next: { state: 'running', step: 1, override: 50, stepStartedAt: T0 + MIN, changedBy: 'shadowgate', status: 'advanced: step 2/3 at 50%' },
    effects: ['reset-step', 'set-weight', 'persist', 'log', 'audit'],
    detail: [{ type: 'reset-step', incumbent: true }, { type: 'set-weight', weight: 50, blocked: false }, { type: 'persist', fenced: true }, { type: 'log' },
      { type: 'audit', action: 'rollout.advance', before: { weight: 10, state: 'running', step: 0 }, after: { weight: 50, state: 'running', step: 1 } }] },
  { name: 'pass on the last step → complete', cfg: STEPS, state: running(2), event: verdict('pass'), now: T0 + MIN,
    next: { state: 'complete', step: 2, override: 100 }, effects: ['set-weight', 'persist', 'audit'], detail: [{ type: 'set-weight' }, { type: 'persist', fenced: true }, { type: 'audit', action: 'rollout.complete' }] },
  { name: 'breach → rolled back: weight 0 blocked, counted, fenced persist, alert, audit', cfg: STEPS, state: running(1), event: verdict('breach'), now: T0 + 30_000,
    next: { state: 'rolled_back', override: 0, rollback: { metric: 'error_rate_delta', value: 0.3, threshold: 0.05, at: T0 + 30_000, by: 'guardrail', n: 200, bound: 0.2, detail: '' } },
    effects: ['set-weight', 'metric', 'persist', 'alert', 'audit'],
    detail: [{ type: 'set-weight', weight: 0, blocked: true }, { type: 'metric', reason: 'error_rate_delta' }, { type: 'persist', fenced: true }, { type: 'alert', alert: 'canary_rollback' },
      { type: 'audit', action: 'rollback', before: { weight: 50, state: 'running', step: 1 }, after: { weight: 0, state: 'rolled_back', step: null } }] },
  { name: 'breach on a static canary → rolled back too', cfg: STATIC, state: staticState, event: verdict('breach'), next: { state: 'rolled_back', override: 0 }, effects: ['set-weight', 'metric', 'persist', 'alert', 'audit'] },
  { name: 'pass on a static canary → status only', cfg: STATIC, state: staticState, event: verdict('pass'), next: { state: 'static', status: 'static canary at 20%, guardrails watching' }, effects: [] },
  { name: 'pass on paused → status only', cfg: STEPS, state: paused, event: verdict('pass'), next: { state: 'paused', step: 1 }, effects: [] },
  { name: 'insufficient after stepDuration → stalled, says what it needs', cfg: STEPS, state: running(0), event: verdict('insufficient data', 40), now: T0 + 2 * MIN,
    next: { state: 'running', step: 0, status: 'stalled: insufficient data: step 1/3 at 10%, needs ~50 more candidate requests' }, effects: [] },
  { name: 'pass with too few step requests → stalled', cfg: STEPS, state: running(0), event: verdict('pass', 40), now: T0 + 2 * MIN, next: { state: 'running', step: 0 }, effects: [] },

  // ---- maxStepDuration reached (an insufficient verdict past the bound) ----
  { name: 'overdue, hold → alert once, gauge, holding', cfg: overdue('hold'), state: running(0), event: verdict('insufficient data', 40), now: T0 + 5 * MIN,
    next: { state: 'running', overdue: true }, effects: ['metric', 'alert'], detail: [{ type: 'metric', metric: 'step-overdue', value: 1 }, { type: 'alert', alert: 'rollout_step_overdue' }] },
  { name: 'overdue, hold, already alerted → nothing new', cfg: overdue('hold'), state: running(0, { overdue: true }), event: verdict('insufficient data', 40), now: T0 + 6 * MIN,
    next: { state: 'running', overdue: true }, effects: [] },
  { name: 'overdue, rollback → alert, then rolled back on max_step_duration', cfg: overdue('rollback'), state: running(0), event: verdict('insufficient data', 40), now: T0 + 5 * MIN,
    next: { state: 'rolled_back', override: 0, overdue: false }, effects: ['metric', 'alert', 'metric', 'set-weight', 'metric', 'persist', 'alert', 'audit'],
    detail: [{ type: 'metric', metric: 'step-overdue', value: 1 }, { type: 'alert', alert: 'rollout_step_overdue' }, { type: 'metric', metric: 'step-overdue', value: 0 },
      { type: 'set-weight', weight: 0, blocked: true }, { type: 'metric', metric: 'rollback', reason: 'max_step_duration' }, { type: 'persist', fenced: true }] },
  { name: 'overdue, promote on a shadow pass → advances', cfg: overdue('promote'), state: running(0), event: verdict('insufficient data', 40, { shadowVerdict: 'pass' }), now: T0 + 5 * MIN,
    next: { state: 'running', step: 1, override: 50, overdue: false }, effects: ['metric', 'alert', 'metric', 'reset-step', 'set-weight', 'persist', 'log', 'audit'] },
  { name: 'overdue, promote without a shadow pass → holds', cfg: overdue('promote'), state: running(0), event: verdict('insufficient data', 40, { shadowVerdict: 'fail' }), now: T0 + 5 * MIN,
    next: { state: 'running', step: 0, overdue: true }, effects: ['metric', 'alert'] },

  // ---- fencing: a process that does not judge decides nothing ----
  { name: 'fenced out: a breach verdict from a non-judge is ignored', cfg: STEPS, state: running(1), event: verdict('breach', 200, { judging: false }), next: running(1), effects: [], ignored: true },
  { name: 'fenced out: a pass verdict from a non-judge does not advance', cfg: STEPS, state: running(0), event: verdict('pass', 200, { judging: false }), now: T0 + 10 * MIN, next: running(0), effects: [], ignored: true },

  // ---- the hard-failure fast path: every replica's own, so unfenced ----
  { name: 'hard failure → rolled back, persisted unfenced', cfg: STEPS, state: running(0), event: { type: 'hard-failure', check: { ...check('breach', 'hard_failure'), value: 0.8, threshold: 0.5 } }, now: T0,
    next: { state: 'rolled_back', override: 0, rollback: { metric: 'hard_failure', value: 0.8, threshold: 0.5, at: T0, by: 'guardrail', n: 200, bound: 0.2, detail: '' } },
    effects: ['set-weight', 'metric', 'persist', 'alert', 'audit'], detail: [{ type: 'set-weight', weight: 0, blocked: true }, { type: 'metric' }, { type: 'persist', fenced: false }] },
  { name: 'hard failure when already rolled back → ignored', cfg: STEPS, state: rolledBack, event: { type: 'hard-failure', check: check('breach', 'hard_failure') }, next: rolledBack, effects: [], ignored: true },

  // ---- remote states: revision order ----
  { name: 'remote with a newer revision → applied, new step resets the candidate window, no persist or audit', cfg: STEPS, state: running(0), event: { type: 'remote', saved: saved({}) },
    next: { state: 'running', step: 1, override: 50, rev: 6, stepStartedAt: T0 + MIN }, effects: ['reset-step', 'set-weight'], detail: [{ type: 'reset-step', incumbent: false }] },
  { name: 'remote with the same revision (an echo) → ignored', cfg: STEPS, state: running(0), event: { type: 'remote', saved: saved({ rev: 5 }) }, next: running(0), effects: [], ignored: true },
  { name: 'remote with an older revision → ignored', cfg: STEPS, state: running(0), event: { type: 'remote', saved: saved({ rev: 3, state: 'rolled_back', override: 0 }) }, next: running(0), effects: [], ignored: true },
  { name: 'remote with an older revision, forced (a worker\'s first state) → applied', cfg: STEPS, state: running(0), event: { type: 'remote', saved: saved({ rev: 3 }), force: true },
    next: { state: 'running', step: 1, rev: 3 }, effects: ['reset-step', 'set-weight'] },
  { name: 'remote rollback → blocked at weight 0, status says rolled back', cfg: STEPS, state: running(1), event: { type: 'remote', saved: saved({ state: 'rolled_back', override: 0, stepStartedAt: T0 }) },
    next: { state: 'rolled_back', override: 0, rev: 6, status: 'rolled back' }, effects: ['set-weight'], detail: [{ type: 'set-weight', weight: 0, blocked: true }] },
  { name: 'remote for a route without a canary → ignored', cfg: undefined, state: staticState, event: { type: 'remote', saved: saved({}) }, next: staticState, effects: [], ignored: true },
  { name: 'ack of a newer revision → recorded', cfg: STEPS, state: running(0), event: { type: 'ack', rev: 8 }, next: { rev: 8 }, effects: [] },
  { name: 'ack of an older revision → kept', cfg: STEPS, state: running(0), event: { type: 'ack', rev: 2 }, next: { rev: 5 }, effects: [] },
];

describe('the rollout machine, state × event', () => {
  it.each(rows)('$name', (row) => {
    const before = structuredClone(row.state);
    const t = transition(row.state, row.event, row.now ?? T0 + MIN, row.cfg);
    expect(row.state, 'the state given is never modified').toEqual(before);
    expect(t.next).toMatchObject(row.next);
    expect(t.effects.map((e) => e.type)).toEqual(row.effects);
    if (row.refused !== undefined) expect(t.refused).toMatch(row.refused);
    else expect(t.refused).toBeUndefined();
    expect(t.ignored === true).toBe(row.ignored === true);
    for (const [i, d] of (row.detail ?? []).entries()) {
      const same = t.effects.filter((e) => e.type === d.type);
      const k = (row.detail ?? []).slice(0, i).filter((x) => x.type === d.type).length;
      expect(same[k], `effect ${i} (${String(d.type)})`).toMatchObject(d);
    }
    // The invariant: whenever something is persisted, the weight was pushed before it.
    const persist = t.effects.findIndex((e) => e.type === 'persist');
    if (persist >= 0) expect(t.effects.findIndex((e) => e.type === 'set-weight')).toBeLessThan(persist);
  });

  it('is deterministic: the same arguments give the same result', () => {
    for (const row of rows) {
      const a = transition(row.state, row.event, row.now ?? T0 + MIN, row.cfg);
      const b = transition(row.state, row.event, row.now ?? T0 + MIN, row.cfg);
      expect(a).toEqual(b);
    }
  });
});
