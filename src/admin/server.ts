// The admin HTTP API (DESIGN.md): health, metrics, routes, report, samples, canary actions, reload and
// audit. Every call is authenticated (bearer token) and allowed by role; every mutation is audited
// (on disk before the answer); errors are {"error":{code,message,requestId}}.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestIdOf } from '../kernel/request-id.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AdminConfig } from '../config/schema.js';
import { errorBody, errors, ShadowgateError } from '../errors.js';
import type { Actor, RouteSnapshot } from '../routing/runtime.js';
import { webhookAuthorization } from './analysis.js';
import type { AuditRecord } from '../state/audit.js';
import { Authenticator, browserSafe, isLoopbackHost, roleAllows, type Principal, type Role } from './auth.js';
import { ANALYSIS_ENDPOINTS, CONSOLE_ENDPOINTS } from './console.js';
import type { AdminContext } from './context.js';
import { readJson } from './body.js';
import { EXPERIMENT_ENDPOINTS, gateCanary, overrideFields } from './experiments.js';

const weightBody = z.object({ weight: z.number().min(0).max(100), ...overrideFields }).strict();
const promoteBody = z.object(overrideFields).strict();
const limitParam = z.coerce.number().int().min(1).max(1000).default(100);

export interface Call {
  readonly ctx: AdminContext;
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly params: readonly string[];
  readonly actor: Actor;
  /** Who called, with the capabilities beyond the role (approver). */
  readonly principal: Principal;
  readonly requestId: string;
}

export type Reply = { status: number; json: unknown } | { status: number; text: string; contentType: string; headers?: Readonly<Record<string, string>> };
type Change = { before: RouteSnapshot; after: RouteSnapshot };

export interface Endpoint {
  readonly method: string;
  readonly path: RegExp;
  readonly role: Role;
  /** Served without a token when the config says so ('public': always, the console's static files). */
  readonly open?: 'health' | 'metrics' | 'public';
  /** Without an Authorization header, the token may come in the JSON body's metadata.token (Flagger's webhooks). */
  readonly tokenInBody?: boolean;
  /** A mutation: audited under this action name. */
  readonly action?: string;
  handle(call: Call): Promise<Reply> | Reply;
}

const ROUTE = '([A-Za-z0-9_.-]{1,64})';

function routeAction(action: 'rollback' | 'pause'): Endpoint {
  return {
    method: 'POST', path: new RegExp(`^/admin/routes/${ROUTE}/${action}$`), role: 'operator', action: `canary.${action}`,
    handle: (c) => changed(c.ctx.routing[action](c.params[0]!, c.actor)),
  };
}

function changed(change: Change): Reply {
  return { status: 200, json: change };
}

export const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', path: /^\/healthz$/, role: 'viewer', open: 'health', handle: () => ({ status: 200, json: { status: 'ok' } }) },
  {
    method: 'GET', path: /^\/readyz$/, role: 'viewer', open: 'health',
    handle: (c) => (c.ctx.ready() ? { status: 200, json: { status: 'ready', ...c.ctx.readiness?.() } } : { status: 503, json: { status: 'not ready', ...c.ctx.readiness?.() } }),
  },
  {
    method: 'GET', path: /^\/metrics$/, role: 'viewer', open: 'metrics',
    handle: async (c) => {
      const m = await c.ctx.metrics();
      return { status: 200, text: m.body, contentType: m.contentType };
    },
  },
  {
    method: 'GET', path: /^\/admin\/fleet$/, role: 'viewer',
    handle: (c) => ({ status: 200, json: c.ctx.fleet?.() ?? { backend: 'file', up: true, judge: true, contributors: [] } }),
  },
  { method: 'GET', path: /^\/admin\/routes$/, role: 'viewer', handle: (c) => ({ status: 200, json: { routes: c.ctx.routing.list() } }) },
  {
    method: 'GET', path: new RegExp(`^/admin/routes/${ROUTE}$`), role: 'viewer',
    handle: (c) => ({ status: 200, json: c.ctx.routing.route(c.params[0]!) ?? notFound(`route "${c.params[0]!}"`) }),
  },
  {
    method: 'GET', path: /^\/admin\/report$/, role: 'viewer',
    handle: async (c) => {
      const route = c.url.searchParams.get('route') ?? undefined;
      // A cluster primary or a fleet replica gathers the report from other processes: awaited.
      const report = await c.ctx.report(route);
      return { status: 200, json: report ?? notFound(`route "${route ?? ''}"`) };
    },
  },
  {
    method: 'GET', path: /^\/admin\/samples$/, role: 'viewer',
    handle: async (c) => {
      const route = c.url.searchParams.get('route');
      if (route === null || route === '') throw errors.badRequest('the route query parameter is required');
      return { status: 200, json: (await c.ctx.samples(route)) ?? notFound(`route "${route}"`) };
    },
  },
  {
    method: 'PUT', path: new RegExp(`^/admin/routes/${ROUTE}/canary$`), role: 'operator', action: 'canary.set',
    handle: async (c) => {
      const body = weightBody.safeParse(await readJson(c.req));
      if (!body.success) throw errors.badRequest(`expected {"weight": 0..100}: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      if (body.data.weight > 0) await gateCanary(c, c.params[0]!, body.data);
      return changed(c.ctx.routing.setWeight(c.params[0]!, body.data.weight, c.actor));
    },
  },
  {
    method: 'DELETE', path: new RegExp(`^/admin/routes/${ROUTE}/canary$`), role: 'operator', action: 'canary.clear',
    handle: (c) => changed(c.ctx.routing.clearOverride(c.params[0]!, c.actor)),
  },
  routeAction('rollback'),
  {
    // Promotion gives the candidate all traffic: the experiment gate applies as it does to a canary weight.
    method: 'POST', path: new RegExp(`^/admin/routes/${ROUTE}/promote$`), role: 'operator', action: 'canary.promote',
    handle: async (c) => {
      const body = promoteBody.safeParse(await readJson(c.req));
      if (!body.success) throw errors.badRequest(`expected {} or {"override": true, "reason": "..."}: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      await gateCanary(c, c.params[0]!, body.data);
      return changed(c.ctx.routing.promote(c.params[0]!, c.actor));
    },
  },
  routeAction('pause'),
  {
    // Resuming (or starting) a rollout sets a step's weight above 0: gated like a canary weight.
    method: 'POST', path: new RegExp(`^/admin/routes/${ROUTE}/resume$`), role: 'operator', action: 'canary.resume',
    handle: async (c) => {
      const body = promoteBody.safeParse(await readJson(c.req));
      if (!body.success) throw errors.badRequest(`expected {} or {"override": true, "reason": "..."}: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      await gateCanary(c, c.params[0]!, body.data);
      return changed(c.ctx.routing.resume(c.params[0]!, c.actor));
    },
  },
  {
    method: 'POST', path: /^\/admin\/reload$/, role: 'admin', action: 'config.reload',
    handle: async (c) => {
      const result = await c.ctx.reload();
      if (!result.ok) throw new ShadowgateError('SG_ERR_CONFIG', `reload refused, the running configuration stays: ${result.problems.join('; ')}`);
      return { status: 200, json: result };
    },
  },
  {
    method: 'GET', path: /^\/admin\/audit$/, role: 'operator',
    handle: async (c) => {
      const limit = limitParam.safeParse(c.url.searchParams.get('limit') ?? undefined);
      if (!limit.success) throw errors.badRequest('limit must be an integer between 1 and 1000');
      return { status: 200, json: { records: await c.ctx.audit.latest(limit.data) } };
    },
  },
  ...CONSOLE_ENDPOINTS,
  ...ANALYSIS_ENDPOINTS,
  ...EXPERIMENT_ENDPOINTS,
];

function notFound(what: string): never {
  throw errors.notFound(what);
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

function send(res: ServerResponse, reply: Reply, requestId: string, extra?: Record<string, string>): void {
  const isJson = 'json' in reply;
  const body = isJson ? JSON.stringify(reply.json) : reply.text;
  res.writeHead(reply.status, {
    'content-type': isJson ? 'application/json; charset=utf-8' : reply.contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
    ...(isJson ? undefined : reply.headers),
    ...extra,
  });
  res.end(body);
}

function sendError(res: ServerResponse, err: ShadowgateError, requestId: string, extra?: Record<string, string>): void {
  const body = errorBody(err, requestId);
  res.writeHead(err.status, {
    'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store', 'x-request-id': requestId, ...extra,
  });
  res.end(body);
}

function asShadowgateError(err: unknown): ShadowgateError {
  if (err instanceof ShadowgateError) return err;
  return new ShadowgateError('SG_ERR_INTERNAL', 'internal error', 500, { cause: err });
}

/** Refuses an admin API any network could reach without a token (Envoy's admin port is the cautionary tale). */
export function assertAdminSafe(cfg: Readonly<AdminConfig>): void {
  if (cfg.tokens.length === 0 && !isLoopbackHost(cfg.host)) {
    throw new ShadowgateError('SG_ERR_ADMIN_INSECURE',
      `admin.host ${cfg.host} is not a loopback address and admin.tokens is empty: configure tokens or bind 127.0.0.1`, 500);
  }
}

export async function startAdminServer(ctx: AdminContext, cfg: Readonly<AdminConfig>, log: Logger): Promise<{ port: number; close(): Promise<void> }> {
  assertAdminSafe(cfg);
  const auth = new Authenticator(cfg);
  if (auth.open) log.warn({ host: cfg.host }, 'admin API has no tokens: open to loopback callers only');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdOf(req.headers['x-request-id']);
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const source = req.socket.remoteAddress ?? 'unknown';
    let matchedPath = false;
    let endpoint: Endpoint | undefined;
    let params: string[] = [];
    for (const e of ENDPOINTS) {
      const m = e.path.exec(url.pathname);
      if (m === null) continue;
      matchedPath = true;
      if (e.method !== req.method) continue;
      endpoint = e;
      params = m.slice(1);
      break;
    }
    if (endpoint === undefined) {
      req.resume();
      if (matchedPath) sendError(res, new ShadowgateError('SG_ERR_METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed here`, 405), requestId);
      else sendError(res, errors.notFound(`endpoint ${url.pathname}`), requestId);
      return;
    }
    const isOpen = endpoint.open === 'public' || (endpoint.open === 'health' && cfg.openHealth) || (endpoint.open === 'metrics' && cfg.openMetrics);
    let principal: Principal = { token: 'anonymous', role: 'viewer' };
    // A refused call answers its error; a refused mutation is audited first, like any other.
    const refuse = async (err: ShadowgateError, extra?: Record<string, string>): Promise<void> => {
      req.resume();
      log.warn({ source, path: url.pathname, code: err.code, requestId }, 'admin call refused');
      if (endpoint.action !== undefined) {
        await ctx.audit.append({
          time: new Date().toISOString(), token: principal.token, role: principal.role, source, action: endpoint.action,
          route: params[0] ?? null, before: null, after: null, result: err.code,
        }).catch((e: unknown) => log.error({ err: (e as Error).message, requestId }, 'audit record could not be written'));
      }
      sendError(res, err, requestId, extra);
    };
    // ---- what a page in the operator's browser could send (CSRF, DNS rebinding) ----
    if (auth.open && !browserSafe(req.headers.host, req.headers.origin, cfg.host)) {
      await refuse(new ShadowgateError('SG_ERR_FORBIDDEN_ORIGIN', 'an admin API without tokens answers only requests for a loopback or the admin host, from no other site', 403));
      return;
    }
    if (endpoint.action !== undefined && !isJson(req.headers['content-type'])) {
      await refuse(new ShadowgateError('SG_ERR_UNSUPPORTED_MEDIA_TYPE', 'admin mutations need Content-Type: application/json', 415));
      return;
    }
    if (!isOpen) {
      const gate = auth.admit(source, Date.now());
      if ('error' in gate) {
        await refuse(gate.error, { 'retry-after': String(gate.retryAfter) });
        return;
      }
      if (gate.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, gate.waitMs));
      const authorization = req.headers.authorization ?? (endpoint.tokenInBody === true ? await webhookAuthorization(req) : undefined);
      const result = auth.authenticate(authorization, source, Date.now());
      if (!result.ok) {
        await refuse(result.error);
        return;
      }
      principal = result.principal;
      if (!roleAllows(principal.role, endpoint.role)) {
        await refuse(errors.forbidden(endpoint.role));
        return;
      }
    }
    const actor: Actor = { token: principal.token, role: principal.role, source };
    const call: Call = { ctx, req, url, params, actor, principal, requestId };
    let reply: Reply | undefined;
    let failure: ShadowgateError | undefined;
    try {
      reply = await endpoint.handle(call);
    } catch (err) {
      failure = asShadowgateError(err);
      if (failure.status >= 500) log.error({ err: (err as Error).message, path: url.pathname, requestId }, 'admin call failed');
    }
    if (endpoint.action !== undefined) {
      if (failure === undefined) await ctx.routing.flush?.().catch(() => undefined); // a failed write is logged by the runtime
      const change = reply !== undefined && 'json' in reply ? (reply.json as Partial<Change>) : undefined;
      const record: AuditRecord = {
        time: new Date().toISOString(), token: actor.token, role: actor.role, source, action: endpoint.action,
        route: params[0] ?? null, before: change?.before ?? null, after: change?.after ?? null, result: failure?.code ?? 'ok',
      };
      try {
        await ctx.audit.append(record);
      } catch (err) {
        // An unaudited change must not look like a clean success to the operator.
        log.error({ err: (err as Error).message, requestId }, 'audit record could not be written');
        failure ??= new ShadowgateError('SG_ERR_AUDIT', 'the action was applied but its audit record could not be written', 500);
        reply = undefined;
      }
    }
    if (failure !== undefined) sendError(res, failure, requestId);
    else send(res, reply!, requestId);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: (err as Error).message }, 'admin request failed');
      if (!res.headersSent) sendError(res, asShadowgateError(err), 'unknown');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: cfg.host, port, tokens: cfg.tokens.length }, 'admin API listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
