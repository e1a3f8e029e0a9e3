// The experiments endpoints (docs/experiments.md): propose, list, read, approve (four eyes), start,
// conclude on the route's report; and the rollout gate the canary endpoints ask before a candidate takes
// live traffic. Every step is audited by the server (the action names below); an override of the gate
// writes its own record with the operator's reason.
import { z } from 'zod';
import { experimentSchema } from '../config/schema/experiments.js';
import { errors, ShadowgateError } from '../errors.js';
import { evaluate, type Evaluation, type Experiment, type ExperimentAction, type ExperimentRegistry } from '../experiments/index.js';
import { routeReportOf } from './analysis.js';
import { readJson } from './body.js';
import type { Call, Endpoint, Reply } from './server.js';

const ID = '([A-Za-z0-9_.-]{1,64})';

/** The state an audit record shows before and after a step. */
function brief(e: Experiment): { id: string; route: string; state: string; outcome: string | null } {
  return { id: e.id, route: e.route, state: e.state, outcome: e.outcome };
}

function registryOf(c: Call): ExperimentRegistry {
  if (c.ctx.experiments === undefined) throw errors.notFound('experiments (this process keeps none)');
  return c.ctx.experiments;
}

/** A route's report, judged against an experiment's criteria. */
async function evaluationOf(c: Call, e: Pick<Experiment, 'route' | 'criteria' | 'minSamples'>): Promise<Evaluation> {
  return evaluate(e, routeReportOf(await c.ctx.report(e.route), e.route), c.ctx.reportConfidence?.(e.route));
}

function step(action: ExperimentAction): Endpoint {
  return {
    method: 'POST', path: new RegExp(`^/admin/experiments/${ID}/${action}$`), role: 'operator', action: `experiment.${action}`,
    handle: async (c): Promise<Reply> => {
      c.req.resume();
      const reg = registryOf(c);
      const id = c.params[0]!;
      const conclusion = action === 'conclude' ? await evaluationOf(c, reg.get(id)) : undefined;
      const { before, after } = reg.apply(id, action, { name: c.actor.token, approver: c.principal.approver === true }, conclusion);
      return { status: 200, json: { before: brief(before), after: brief(after), experiment: after } };
    },
  };
}

export const EXPERIMENT_ENDPOINTS: readonly Endpoint[] = [
  {
    method: 'POST', path: /^\/admin\/experiments$/, role: 'operator', action: 'experiment.propose',
    handle: async (c) => {
      const reg = registryOf(c);
      const body = experimentSchema.safeParse(await readJson(c.req));
      if (!body.success) throw errors.badRequest(`invalid experiment: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      if (c.ctx.routing.route(body.data.route) === undefined) throw errors.notFound(`route "${body.data.route}"`);
      const e = reg.propose(body.data, c.actor.token);
      return { status: 201, json: { before: null, after: brief(e), experiment: e } };
    },
  },
  { method: 'GET', path: /^\/admin\/experiments$/, role: 'viewer', handle: (c) => ({ status: 200, json: { experiments: registryOf(c).list() } }) },
  {
    method: 'GET', path: new RegExp(`^/admin/experiments/${ID}$`), role: 'viewer',
    handle: async (c) => {
      const e = registryOf(c).get(c.params[0]!);
      // Criteria one by one on the current report (a concluded experiment keeps the evaluation that concluded it).
      return { status: 200, json: { ...e, current: e.state === 'concluded' ? e.conclusion : await evaluationOf(c, e) } };
    },
  },
  step('approve'),
  step('start'),
  step('conclude'),
];

/** What a canary endpoint's body may carry to pass the gate: `"override": true` with a `reason`. */
export const overrideFields = { override: z.literal(true).optional(), reason: z.string().min(1).max(500).optional() };

/**
 * The rollout gate: a canary of a candidate bound to an experiment that has not concluded `pass` is
 * refused (409, SG_ERR_EXPERIMENT_GATE) with the reason; `override: true` with a `reason` lets an
 * operator through, and the override is audited with that reason.
 */
export async function gateCanary(c: Call, route: string, body: { override?: true; reason?: string }): Promise<void> {
  const view = c.ctx.routing.route(route);
  const blocked = view === undefined ? undefined : c.ctx.experiments?.gate(route, view.candidate);
  if (blocked === undefined) return;
  if (body.override !== true) {
    throw new ShadowgateError('SG_ERR_EXPERIMENT_GATE', `${blocked.reason}; an operator may override with {"override": true, "reason": "..."}`);
  }
  if (body.reason === undefined || body.reason.trim() === '') throw errors.badRequest('an override of the experiment gate needs a reason');
  await c.ctx.audit.append({
    time: new Date().toISOString(), token: c.actor.token, role: c.actor.role, source: c.actor.source, action: 'experiment.override', route,
    before: brief(blocked.experiment), after: null, result: 'ok', reason: body.reason,
  });
}
