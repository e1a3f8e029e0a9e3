// The rollout of one route as a pure state machine: transition(state, event, now, cfg) → { next, effects }.
// No timers, no I/O, no metrics: the runtime (runtime.ts) keeps the clocks, the store, the live windows
// and the metrics, feeds events in, assigns `next` and applies `effects` in order. The invariants live
// here as code:
//   - a remote state applies only when its revision is newer than ours (or when forced);
//   - a judge's decision (a guardrail verdict, a step advance) is ignored unless this process judges now,
//     and is persisted `fenced`, so a shared store refuses it once the judge has lost its lease;
//   - the weight effect precedes the persist effect (checked on every transition: persisting may be slow,
//     and a rolled-back candidate must get no request after the decision).
import type { CanaryConfig } from '../config/schema.js';
import type { GuardrailCheck } from './guardrails.js';
import { describeRollback, type PersistedRoute, type RollbackReason, type RolloutState } from './rollout.js';

/** A route's rollout state (what is persisted, plus the status line and the overdue flag). */
export interface RolloutMachineState {
  readonly override: number | null;
  readonly state: RolloutState;
  readonly step: number;
  readonly stepStartedAt: number;
  readonly rollback: RollbackReason | null;
  /** Order of shared changes: a remote state applies only when its revision is newer. */
  readonly rev: number;
  readonly changedAt: number;
  readonly changedBy: string;
  /** The step waited past rollout.maxStepDuration (alerted once per step). */
  readonly overdue: boolean;
  readonly status: string;
}

export const INITIAL_ROLLOUT: RolloutMachineState = Object.freeze({
  override: null, state: 'static', step: 0, stepStartedAt: 0, rollback: null, rev: 0, changedAt: 0, changedBy: '', overdue: false, status: '',
});

export interface RouteSnapshot {
  readonly weight: number;
  readonly state: RolloutState;
  readonly step: number | null;
}

/** Who the runtime's own decisions are attributed to. */
export const SYSTEM_BY = 'shadowgate';

export type RolloutEvent =
  /** The route is created (or gains a canary), from a saved state when there is one. */
  | { readonly type: 'init'; readonly saved?: PersistedRoute }
  /** A reloaded configuration (cfg is the new one): keep what still makes sense. */
  | { readonly type: 'config' }
  // Operator actions.
  | { readonly type: 'set'; readonly weight: number; readonly by: string }
  | { readonly type: 'clear'; readonly by: string }
  | { readonly type: 'rollback'; readonly by: string }
  | { readonly type: 'promote'; readonly by: string }
  | { readonly type: 'pause'; readonly by: string }
  | { readonly type: 'resume'; readonly by: string }
  /** The step timer fired; `judging`: this process judges now (the fleet's lease holder, or alone). */
  | { readonly type: 'tick'; readonly judging: boolean }
  /**
   * The guardrails' verdict on the step (after a tick asked for an evaluation). `stepN`: the step's
   * candidate requests; `need`: what an insufficient step still needs, in words; `shadowVerdict`: the
   * comparison's verdict (onMaxStepDuration: promote advances only on pass). An insufficient verdict
   * past rollout.maxStepDuration is the "maxStepDuration reached" case.
   */
  | {
    readonly type: 'verdict'; readonly judging: boolean; readonly checks: readonly GuardrailCheck[];
    readonly stepN: number; readonly need: string; readonly shadowVerdict?: string;
  }
  /** The hard-failure fast path tripped on the live path (every replica's own, unfenced). */
  | { readonly type: 'hard-failure'; readonly check: GuardrailCheck }
  /** A route's state as another process wrote it. */
  | { readonly type: 'remote'; readonly saved: PersistedRoute; readonly force?: boolean }
  /** A shared store's revision for this process's own change (so its echo is not re-applied). */
  | { readonly type: 'ack'; readonly rev: number };

export type AuditAction = 'rollback' | 'rollout.advance' | 'rollout.complete';

export type RolloutEffect =
  /** Push the effective weight into the split (blocked: the candidate gets nothing) and the gauge. */
  | { readonly type: 'set-weight'; readonly weight: number; readonly blocked: boolean }
  /** Save the route's state; `fenced`: a judge's decision, refused by a shared store without the lease. */
  | { readonly type: 'persist'; readonly fenced: boolean }
  /** A new step: judge it on its own traffic (incumbent: restart the incumbent's step window too). */
  | { readonly type: 'reset-step'; readonly incumbent: boolean }
  /** Ask the runtime to evaluate the guardrails and answer with a verdict event. */
  | { readonly type: 'evaluate' }
  | { readonly type: 'audit'; readonly action: AuditAction; readonly before: RouteSnapshot; readonly after: RouteSnapshot; readonly reason?: RollbackReason }
  | { readonly type: 'alert'; readonly alert: 'canary_rollback' | 'rollout_step_overdue'; readonly message: string; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly type: 'log'; readonly message: string; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly type: 'metric'; readonly metric: 'rollback'; readonly reason: RollbackReason['metric'] }
  | { readonly type: 'metric'; readonly metric: 'step-overdue'; readonly value: 0 | 1 };

export interface Transition {
  readonly next: RolloutMachineState;
  readonly effects: readonly RolloutEffect[];
  /** An operator action that does not apply in this state (the runtime answers 409 with it). */
  readonly refused?: string;
  /** The event did not apply (a stale remote revision, a verdict from a process that does not judge). */
  readonly ignored?: boolean;
}

/** The effective weight: the runtime override, else the config's. */
export function weightOf(s: RolloutMachineState, cfg: CanaryConfig | undefined): number {
  if (cfg === undefined) return 0;
  return s.override ?? cfg.weight;
}

function stepActive(s: RolloutMachineState): boolean {
  return s.state === 'running' || s.state === 'paused' || s.state === 'complete';
}

export function snapshotOf(s: RolloutMachineState, cfg: CanaryConfig | undefined): RouteSnapshot {
  return { weight: weightOf(s, cfg), state: s.state, step: cfg?.rollout && stepActive(s) ? s.step : null };
}

/** A route's state in words that mean what they say (a static 30% canary is not "off"). */
export function describeState(s: RolloutMachineState, cfg: CanaryConfig | undefined): string {
  const w = weightOf(s, cfg);
  const rollout = cfg?.rollout;
  switch (s.state) {
    case 'rolled_back': return s.rollback ? describeRollback(s.rollback) : 'rolled back';
    case 'idle': return 'idle: waiting for resume';
    case 'promoted': return `promoted: the candidate serves ${w}%`;
    case 'complete': return 'complete: promote to finish';
    case 'paused': return `paused at ${w}%${rollout ? ` (step ${s.step + 1}/${rollout.steps.length}); resume to continue` : ''}`;
    case 'running': return `running: step ${s.step + 1}/${rollout?.steps.length ?? 1} at ${w}%`;
    case 'static': return w > 0 ? `static canary at ${w}%, guardrails watching` : 'off: weight 0, the candidate serves nothing';
  }
}

/** An automatic rollback's reason, with the check's evidence. */
export function reasonOf(check: GuardrailCheck, at: number): RollbackReason {
  return { metric: check.metric, value: check.value, threshold: check.threshold, at, by: 'guardrail', n: check.n, bound: check.bound, detail: check.detail };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One transition in the making: the state being changed and the effects in the order they apply. */
class Step {
  readonly s: Mutable<RolloutMachineState>;
  readonly effects: RolloutEffect[] = [];
  refused: string | undefined;
  ignored = false;

  constructor(state: RolloutMachineState, readonly now: number, readonly cfg: CanaryConfig | undefined) {
    this.s = { ...state };
  }

  get rollout(): CanaryConfig['rollout'] {
    return this.cfg?.rollout;
  }

  snapshot(): RouteSnapshot {
    return snapshotOf(this.s, this.cfg);
  }

  setOverdue(overdue: boolean): void {
    if (this.s.overdue === overdue) return;
    this.s.overdue = overdue;
    this.effects.push({ type: 'metric', metric: 'step-overdue', value: overdue ? 1 : 0 });
  }

  beginStep(): void {
    this.s.stepStartedAt = this.now;
    // A new step is judged on its own traffic, not on the previous step's (the incumbent's too).
    this.effects.push({ type: 'reset-step', incumbent: true });
    this.setOverdue(false);
  }

  startRollout(by: string): void {
    const steps = this.rollout!.steps;
    this.s.state = 'running';
    this.s.step = 0;
    this.s.override = steps[0]!;
    this.s.rollback = null;
    this.beginStep();
    this.s.changedAt = this.now;
    this.s.changedBy = by;
  }

  /** A config whose rollout changed under a saved state: keep what still makes sense. */
  reconcile(): void {
    const rollout = this.rollout;
    if (rollout === undefined) {
      if (stepActive(this.s) || this.s.state === 'idle') this.s.state = 'static';
      return;
    }
    if (this.s.state === 'static') {
      if (rollout.autoStart) this.startRollout(SYSTEM_BY);
      else this.s.state = 'idle';
    }
    if (this.s.step >= rollout.steps.length) this.s.step = rollout.steps.length - 1;
  }

  publish(): void {
    if (this.cfg === undefined) return;
    this.effects.push({ type: 'set-weight', weight: weightOf(this.s, this.cfg), blocked: this.s.state === 'rolled_back' });
  }

  /** A change made here: who and when, the weight first, then durability. */
  changed(by: string, fenced: boolean, published = false): void {
    this.s.changedAt = this.now;
    this.s.changedBy = by;
    // An operator's change shows at once: a status computed before it (weight 0: "off") would lie until
    // the next evaluation.
    if (by !== SYSTEM_BY) this.s.status = describeState(this.s, this.cfg);
    if (!published) this.publish();
    this.effects.push({ type: 'persist', fenced });
  }

  rollbackRoute(reason: RollbackReason, by: string): void {
    const before = this.snapshot();
    this.s.override = 0;
    this.s.state = 'rolled_back';
    this.s.rollback = reason;
    this.setOverdue(false);
    this.s.status = describeRollback(reason);
    // Weight 0 reaches the split before anything else (persisting may be slow): no request after this.
    this.publish();
    this.effects.push({ type: 'metric', metric: 'rollback', reason: reason.metric });
    // The judge's guardrail decisions are fenced; the hard-failure fast path is every replica's own.
    this.changed(by, reason.by === 'guardrail' && reason.metric !== 'hard_failure', true);
    if (reason.by === 'guardrail') {
      this.effects.push({
        type: 'alert', alert: 'canary_rollback', fields: { metric: reason.metric, value: reason.value, threshold: reason.threshold },
        message: `${reason.metric} ${String(reason.value)} > ${String(reason.threshold)}`,
      });
      this.effects.push({ type: 'audit', action: 'rollback', before, after: this.snapshot(), reason });
    }
  }

  advance(): void {
    const rollout = this.rollout!;
    const before = this.snapshot();
    this.setOverdue(false);
    if (this.s.step + 1 >= rollout.steps.length) {
      this.s.state = 'complete';
      this.s.status = 'complete: promote to finish';
      this.changed(SYSTEM_BY, true);
      this.effects.push({ type: 'audit', action: 'rollout.complete', before, after: this.snapshot() });
      return;
    }
    this.s.step++;
    this.s.override = rollout.steps[this.s.step]!;
    this.beginStep();
    const w = weightOf(this.s, this.cfg);
    this.s.status = `advanced: step ${this.s.step + 1}/${rollout.steps.length} at ${w}%`;
    this.changed(SYSTEM_BY, true);
    this.effects.push({ type: 'log', fields: { step: this.s.step + 1, weight: w }, message: 'canary rollout advanced' });
    this.effects.push({ type: 'audit', action: 'rollout.advance', before, after: this.snapshot() });
  }

  tick(judging: boolean): void {
    if (this.s.state === 'rolled_back') {
      this.s.status = this.s.rollback ? describeRollback(this.s.rollback) : 'rolled back';
      return;
    }
    if (weightOf(this.s, this.cfg) === 0 && this.s.state !== 'running') {
      this.s.status = describeState(this.s, this.cfg);
      return;
    }
    if (!judging) {
      this.s.status = 'following the fleet judge';
      return;
    }
    this.effects.push({ type: 'evaluate' });
  }

  verdict(e: Extract<RolloutEvent, { type: 'verdict' }>): void {
    // Fencing: a process that does not judge (any more) decides nothing; its persist would be fenced too.
    if (!e.judging || this.s.state === 'rolled_back') {
      this.ignored = true;
      return;
    }
    const breach = e.checks.find((k) => k.result === 'breach');
    if (breach !== undefined) {
      this.rollbackRoute(reasonOf(breach, this.now), SYSTEM_BY);
      return;
    }
    const rollout = this.rollout;
    if (this.s.state !== 'running' || rollout === undefined) {
      this.s.status = describeState(this.s, this.cfg);
      return;
    }
    const elapsed = this.now - this.s.stepStartedAt;
    const label = `step ${this.s.step + 1}/${rollout.steps.length} at ${weightOf(this.s, this.cfg)}%`;
    if (elapsed < rollout.stepDuration) {
      this.s.status = `holding: ${label}, ${Math.ceil((rollout.stepDuration - elapsed) / 1000)}s left`;
      return;
    }
    if (e.stepN < rollout.minRequests || e.checks.some((k) => k.result === 'insufficient data')) {
      const need = `stalled: insufficient data: ${label}, ${e.need}`;
      if (rollout.maxStepDuration === undefined || elapsed < rollout.maxStepDuration) {
        this.s.status = need;
        return;
      }
      if (!this.overdueStep(need, e.stepN, e.shadowVerdict)) return;
    }
    this.advance();
  }

  /**
   * A step that could not be judged within rollout.maxStepDuration does what the operator chose: hold
   * (and alert), roll back, or advance — the latter only on the shadow comparison's verdict of pass.
   * Returns true when the step is to advance.
   */
  overdueStep(need: string, stepN: number, verdict: string | undefined): boolean {
    const rollout = this.rollout!;
    const choice = rollout.onMaxStepDuration;
    const after = `after ${Math.round(rollout.maxStepDuration! / 1000)}s (rollout.maxStepDuration)`;
    if (!this.s.overdue) {
      this.setOverdue(true);
      this.effects.push({
        type: 'alert', alert: 'rollout_step_overdue', fields: { step: this.s.step + 1, requests: stepN, choice },
        message: `could not be judged ${after}: ${need}; onMaxStepDuration: ${choice}`,
      });
    }
    if (choice === 'rollback') {
      this.rollbackRoute({
        metric: 'max_step_duration', value: stepN, threshold: rollout.minRequests, at: this.now, by: 'guardrail', n: stepN, bound: null,
        detail: `${stepN} candidate requests ${after}, ${rollout.minRequests} needed`,
      }, SYSTEM_BY);
      return false;
    }
    if (choice === 'promote' && verdict === 'pass') return true;
    this.s.status = `overdue: ${need.replace(/^stalled: insufficient data: /, '')} ${after}; holding (onMaxStepDuration: ${choice}`
      + `${choice === 'promote' ? `, which advances only on a shadow verdict of pass, now ${verdict ?? 'no shadow comparison'}` : ''})`;
    return false;
  }

  restore(saved: PersistedRoute): void {
    Object.assign(this.s, {
      override: saved.override, state: saved.state, step: saved.step, stepStartedAt: saved.stepStartedAt, rollback: saved.rollback,
      changedAt: saved.changedAt, changedBy: saved.changedBy, rev: saved.rev ?? 0,
    });
  }

  remote(saved: PersistedRoute, force: boolean): void {
    // Revision order: a state no newer than ours is an echo or a late message, never applied.
    if ((saved.rev ?? 0) <= this.s.rev && !force) {
      this.ignored = true;
      return;
    }
    const newStep = saved.step !== this.s.step || saved.stepStartedAt !== this.s.stepStartedAt;
    this.restore(saved);
    // Its writer saved and audited it: no persist, no audit here.
    if (newStep) this.effects.push({ type: 'reset-step', incumbent: false });
    if (this.s.state === 'rolled_back') this.s.status = 'rolled back';
    this.reconcile();
    this.publish();
  }

  operator(e: Extract<RolloutEvent, { by: string }>): void {
    const s = this.s;
    const rollout = this.rollout;
    switch (e.type) {
      case 'set':
        s.override = Math.round(e.weight * 100) / 100;
        if (s.state === 'running' || s.state === 'complete') s.state = 'paused';
        else if (s.state === 'rolled_back' || s.state === 'promoted') s.state = rollout ? 'paused' : 'static';
        else if (s.state === 'idle') s.state = 'paused';
        s.rollback = null;
        break;
      case 'clear':
        s.override = null;
        if (s.state === 'rolled_back' || s.state === 'promoted') s.state = rollout ? 'idle' : 'static';
        s.rollback = null;
        break;
      case 'rollback':
        this.rollbackRoute({ metric: 'manual', value: null, threshold: null, at: this.now, by: e.by }, e.by);
        return;
      case 'promote':
        s.override = 100;
        s.state = 'promoted';
        s.rollback = null;
        break;
      case 'pause':
        if (s.state !== 'running') {
          this.refused = `has no running rollout (state ${s.state})`;
          return;
        }
        s.state = 'paused';
        break;
      case 'resume':
        if (rollout === undefined) {
          this.refused = 'has no rollout configured';
          return;
        }
        if (s.state === 'running') {
          this.refused = 'is already running';
          return;
        }
        if (s.state === 'paused') {
          s.state = 'running';
          s.override = rollout.steps[Math.min(s.step, rollout.steps.length - 1)]!;
          this.beginStep();
        } else {
          this.startRollout(e.by);
        }
        break;
    }
    this.changed(e.by, false);
  }
}

/** The invariant "weight before persist", as code: a persist never precedes the weight it saves. */
function checkOrder(effects: readonly RolloutEffect[]): void {
  const persist = effects.findIndex((e) => e.type === 'persist');
  if (persist < 0) return;
  const weight = effects.findIndex((e) => e.type === 'set-weight');
  if (weight < 0 || weight > persist) throw new Error('rollout machine: a persist effect must follow the set-weight effect');
}

/**
 * One event on a route's rollout. `cfg` is the route's canary config (undefined: the route has none).
 * Pure: the same arguments give the same result, and `state` is never modified.
 */
export function transition(state: RolloutMachineState, event: RolloutEvent, now: number, cfg: CanaryConfig | undefined): Transition {
  const t = new Step(state, now, cfg);
  switch (event.type) {
    case 'init':
      if (cfg === undefined) break;
      if (event.saved !== undefined) {
        t.restore(event.saved);
        t.reconcile();
      } else if (cfg.rollout === undefined) t.s.state = 'static';
      else if (cfg.rollout.autoStart) t.startRollout(SYSTEM_BY);
      else t.s.state = 'idle';
      break;
    case 'config':
      if (cfg === undefined) {
        t.s.state = 'static';
        t.s.override = null;
      } else t.reconcile();
      break;
    case 'set': case 'clear': case 'rollback': case 'promote': case 'pause': case 'resume':
      if (cfg !== undefined) t.operator(event);
      break;
    case 'tick':
      if (cfg !== undefined) t.tick(event.judging);
      break;
    case 'verdict':
      if (cfg !== undefined) t.verdict(event);
      break;
    case 'hard-failure':
      if (cfg !== undefined && state.state !== 'rolled_back') t.rollbackRoute(reasonOf(event.check, now), SYSTEM_BY);
      else t.ignored = true;
      break;
    case 'remote':
      if (cfg !== undefined) t.remote(event.saved, event.force === true);
      else t.ignored = true;
      break;
    case 'ack':
      if (event.rev > state.rev) t.s.rev = event.rev;
      break;
  }
  if (t.refused !== undefined) return { next: state, effects: [], refused: t.refused };
  if (t.ignored) return { next: state, effects: [], ignored: true };
  checkOrder(t.effects);
  return { next: t.s, effects: t.effects };
}

/** The persisted shape of a machine state. */
export function persistedOf(s: RolloutMachineState): PersistedRoute {
  return {
    override: s.override, state: s.state, step: s.step, stepStartedAt: s.stepStartedAt,
    rollback: s.rollback, changedAt: s.changedAt, changedBy: s.changedBy, rev: s.rev,
  };
}
