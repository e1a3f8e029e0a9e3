// The experiments a process knows: seeded from config (`experiments:`), proposed through the admin API,
// moved along their lifecycle by named identities. With a file (admin.experimentsFile) every change is
// written before the caller answers (temp file, fsync, rename) and read back at start, so a restart keeps
// each experiment's state; without one, a restart brings the configured ones back `proposed` (the gate
// closed: the safe side). The rollout gate asks it whether a route's candidate may take live traffic.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ExperimentConfig } from '../config/schema.js';
import { errors, ShadowgateError } from '../errors.js';
import type { Evaluation } from './evaluate.js';
import { approvalRefusal, transition, type ExperimentAction, type ExperimentState, type Outcome } from './lifecycle.js';

export interface HistoryEntry { readonly action: 'propose' | ExperimentAction; readonly by: string; readonly at: string; readonly state: ExperimentState }

export interface Experiment extends ExperimentConfig {
  readonly state: ExperimentState;
  readonly outcome: Outcome | null;
  readonly proposedBy: string;
  readonly approvedBy: string | null;
  /** The evaluation that concluded it (criteria one by one, reasons). */
  readonly conclusion: Evaluation | null;
  readonly history: readonly HistoryEntry[];
}

export interface Identity { readonly name: string; readonly approver: boolean }

export class ExperimentRegistry {
  private readonly byId = new Map<string, Experiment>();

  constructor(configured: readonly ExperimentConfig[] = [], private readonly file?: string) {
    if (file !== undefined) this.load(file);
    this.sync(configured);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ShadowgateError('SG_ERR_STATE_FILE', `experiments file ${file} could not be read: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ShadowgateError('SG_ERR_STATE_FILE', `experiments file ${file} is not valid JSON: fix or remove it`);
    }
    const list = (parsed as { experiments?: unknown }).experiments;
    if (!Array.isArray(list)) throw new ShadowgateError('SG_ERR_STATE_FILE', `experiments file ${file} has no experiments list`);
    for (const e of list as Experiment[]) if (typeof e?.id === 'string') this.byId.set(e.id, e);
  }

  private save(): void {
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify({ experiments: this.list() }, null, 1)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }

  /** Adds configured experiments not known yet (a reload keeps the lifecycle of those already here). */
  sync(configured: readonly ExperimentConfig[]): void {
    for (const c of configured) if (!this.byId.has(c.id)) this.byId.set(c.id, fresh(c, 'config'));
  }

  list(): Experiment[] {
    return [...this.byId.values()];
  }

  get(id: string): Experiment {
    const e = this.byId.get(id);
    if (e === undefined) throw errors.notFound(`experiment "${id}"`);
    return e;
  }

  propose(cfg: ExperimentConfig, by: string): Experiment {
    if (this.byId.has(cfg.id)) throw new ShadowgateError('SG_ERR_CONFLICT', `experiment "${cfg.id}" exists already`);
    const e = fresh(cfg, by);
    this.byId.set(cfg.id, e);
    this.save();
    return e;
  }

  /** Applies one lifecycle step; `conclusion` is required to conclude. Throws 409 (wrong state) or 403 (four eyes). */
  apply(id: string, action: ExperimentAction, who: Identity, conclusion?: Evaluation): { before: Experiment; after: Experiment } {
    const before = this.get(id);
    const t = transition(before.state, action);
    if (!t.ok) throw new ShadowgateError('SG_ERR_CONFLICT', `experiment "${id}": ${t.reason}`);
    if (action === 'approve') {
      const refusal = approvalRefusal(before.proposedBy, who.name, who.approver);
      if (refusal !== undefined) throw new ShadowgateError('SG_ERR_FORBIDDEN', `experiment "${id}": ${refusal}`);
    }
    if (action === 'conclude' && conclusion === undefined) throw new ShadowgateError('SG_ERR_INTERNAL', 'a conclusion needs its evaluation');
    const after: Experiment = {
      ...before, state: t.next,
      approvedBy: action === 'approve' ? who.name : before.approvedBy,
      outcome: action === 'conclude' ? conclusion!.outcome : before.outcome,
      conclusion: action === 'conclude' ? conclusion! : before.conclusion,
      history: [...before.history, { action, by: who.name, at: new Date().toISOString(), state: t.next }],
    };
    this.byId.set(id, after);
    this.save();
    return { before, after };
  }

  /** The experiment that decides a route's candidate: the latest proposed for that route and candidate. */
  current(route: string, candidate: string | null): Experiment | undefined {
    let found: Experiment | undefined;
    for (const e of this.byId.values()) if (e.route === route && (e.candidate === undefined || e.candidate === candidate)) found = e;
    return found;
  }

  /** Why a canary of this route's candidate may not take traffic (undefined: it may). */
  gate(route: string, candidate: string | null): { readonly experiment: Experiment; readonly reason: string } | undefined {
    const e = this.current(route, candidate);
    if (e === undefined || (e.state === 'concluded' && e.outcome === 'pass')) return undefined;
    const where = e.state === 'concluded' ? `concluded ${e.outcome ?? ''}` : e.state;
    return { experiment: e, reason: `route "${route}"'s candidate is bound to experiment "${e.id}" (${where}): a canary needs it concluded pass` };
  }
}

function fresh(c: ExperimentConfig, by: string): Experiment {
  return {
    ...c, state: 'proposed', outcome: null, proposedBy: by, approvedBy: null, conclusion: null,
    history: [{ action: 'propose', by, at: new Date().toISOString(), state: 'proposed' }],
  };
}
