// The operator console's admin endpoints: the single-page app under /ui (built by src/console/build.mjs
// into dist/console, served with a strict Content-Security-Policy), who the caller is, the datasets
// view, and the progressive-delivery analysis hook.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShadowgateError, errors } from '../errors.js';
import { WEBHOOK_STATUS, analyse, routeReportOf, type Analysis } from './analysis.js';
import { evaluate, type Evaluation } from '../experiments/index.js';
import { datasetsView } from './datasets.js';
import type { Endpoint } from './server.js';

/**
 * Nothing inline, nothing from elsewhere: the page, its script and its style come from this origin, and
 * it talks only to this origin's admin API (the token travels as a header, never as a cookie).
 */
export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const CONSOLE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** dist/console, found from this module whether it runs from src/ (tests) or from dist/src/. */
export function consoleDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'console'), join(dir, 'dist', 'console')]) {
      if (existsSync(join(candidate, 'index.html')) && existsSync(join(candidate, 'app.js'))) return candidate;
    }
    dir = dirname(dir);
  }
  return undefined;
}

async function asset(path: string): Promise<{ text: string; type: string }> {
  const a = ASSETS[path];
  if (a === undefined) throw errors.notFound(`console file ${path}`);
  const dir = consoleDir();
  if (dir === undefined) throw new ShadowgateError('SG_ERR_CONSOLE_NOT_BUILT', 'the console is not built: run `npm run build`', 404);
  return { text: await readFile(join(dir, a.file), 'utf8'), type: a.type };
}

const ROUTE = '([A-Za-z0-9_.-]{1,64})';

export const CONSOLE_ENDPOINTS: readonly Endpoint[] = [
  {
    method: 'GET', path: /^\/ui(\/|\/app\.js|\/app\.css)?$/, role: 'viewer', open: 'public',
    handle: async (c) => {
      const a = await asset(c.params[0] ?? '');
      return { status: 200, text: a.text, contentType: a.type, headers: CONSOLE_HEADERS };
    },
  },
  { method: 'GET', path: /^\/admin\/whoami$/, role: 'viewer', handle: (c) => ({ status: 200, json: { token: c.actor.token, role: c.actor.role } }) },
  {
    method: 'GET', path: /^\/admin\/datasets$/, role: 'viewer',
    handle: async (c) => ({ status: 200, json: await datasetsView(c.ctx.recordConfig?.(), (await c.ctx.metrics()).body) }),
  },
];

/** The experiment deciding a route's candidate, with its criteria one by one on the current report. */
export interface AnalysisExperiment {
  readonly id: string; readonly hypothesis: string; readonly state: string; readonly outcome: string | null;
  readonly gate: 'open' | 'closed'; readonly evaluation: Evaluation;
}

async function analysisOf(c: Parameters<Endpoint['handle']>[0]): Promise<Analysis & { readonly experiment?: AnalysisExperiment }> {
  const route = c.params[0]!;
  const view = c.ctx.routing.route(route);
  // A cluster primary gathers the report from its workers: it may be a promise.
  const report: unknown = await c.ctx.report(route);
  if (view === undefined && report === undefined) throw errors.notFound(`route "${route}"`);
  const analysis = analyse(route, view, report, Date.now());
  const e = c.ctx.experiments?.current(route, view?.candidate ?? null);
  if (e === undefined) return analysis;
  const evaluation = e.state === 'concluded' && e.conclusion !== null ? e.conclusion : evaluate(e, routeReportOf(report, route), c.ctx.reportConfidence?.(route));
  const gate = c.ctx.experiments!.gate(route, view?.candidate ?? null) === undefined ? 'open' : 'closed';
  return { ...analysis, experiment: { id: e.id, hypothesis: e.hypothesis, state: e.state, outcome: e.outcome, gate, evaluation } };
}

export const ANALYSIS_ENDPOINTS: readonly Endpoint[] = [
  // Argo Rollouts' web provider: always 200, the decision is in `status` (successCondition/failureCondition).
  { method: 'GET', path: new RegExp(`^/admin/analysis/${ROUTE}$`), role: 'viewer', handle: async (c) => ({ status: 200, json: await analysisOf(c) }) },
  // Flagger's webhooks POST {name, namespace, phase, metadata}; only the status code counts for them.
  {
    method: 'POST', path: new RegExp(`^/admin/analysis/${ROUTE}$`), role: 'viewer', tokenInBody: true,
    handle: async (c) => {
      c.req.resume(); // the payload, when a header carried the token, is not needed
      const a = await analysisOf(c);
      return { status: WEBHOOK_STATUS[a.status], json: a };
    },
  },
];
