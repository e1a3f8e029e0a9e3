// `shadowgate canary …` and `shadowgate report`: clients of the admin API (SHADOWGATE_ADMIN_URL,
// SHADOWGATE_TOKEN). Human output by default, --json for scripts; exit 0 done, 1 refused or
// unreachable, 2 usage.
import { parseArgs } from 'node:util';
import { flagProblem } from './flags.js';
import { renderReport, type RouteReport } from '../compare/index.js';
import { slicesText } from '../quality/slices.js';
import type { RouteView } from '../routing/runtime.js';
import { describeRollback, type GuardrailCheck } from '../routing/rollout.js';

export interface AdminCliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9090';

export const CANARY_USAGE = `usage: shadowgate canary <command> [--json] [--override REASON]

  set ROUTE PERCENT     give the candidate PERCENT (0..100) of live traffic (pauses a running rollout)
  clear ROUTE           drop the runtime weight: the configuration's weight applies again
  rollback ROUTE        weight 0 at once, state rolled_back
  promote ROUTE         weight 100
  pause ROUTE           hold a running rollout at its step
  resume ROUTE          continue a paused rollout (or start it again from step 1)
  status [ROUTE]        weights, where they come from, rollout state and the last guardrail checks

  --override REASON     set/promote/resume past the experiment gate (docs/experiments.md): operator, audited with REASON

environment: SHADOWGATE_ADMIN_URL (default ${DEFAULT_ADMIN_URL}), SHADOWGATE_TOKEN
exit status: 0 done, 1 refused by the admin API or unreachable, 2 usage error
`;

export const REPORT_USAGE = `usage: shadowgate report [ROUTE] [--json]

  the comparison report of a running shadowgate (the same as GET /admin/report)

environment: SHADOWGATE_ADMIN_URL (default ${DEFAULT_ADMIN_URL}), SHADOWGATE_TOKEN
exit status: 0 done, 1 refused by the admin API or unreachable, 2 usage error
`;

class CliFailure extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

interface Client {
  request(method: string, path: string, body?: unknown): Promise<unknown>;
}

function client(env: NodeJS.ProcessEnv): Client {
  const base = (env.SHADOWGATE_ADMIN_URL ?? DEFAULT_ADMIN_URL).replace(/\/+$/, '');
  const token = env.SHADOWGATE_TOKEN;
  return {
    async request(method, path, body) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
      // Every mutation says it is JSON: the admin API refuses others (a browser form cannot send this type).
      if (body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new CliFailure(`cannot reach the admin API at ${base} (${why}): is shadowgate running? Set SHADOWGATE_ADMIN_URL to its admin address.`, EXIT.failed);
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        throw new CliFailure(`the admin API at ${base} answered ${res.status} with a body that is not JSON`, EXIT.failed);
      }
      if (res.ok) return json;
      const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
      const detail = `${e?.message ?? res.statusText} (${res.status}${e?.code ? ` ${e.code}` : ''})`;
      if (res.status === 401) {
        throw new CliFailure(`the admin API refused the token: ${detail}. Set SHADOWGATE_TOKEN to a valid admin token.`, EXIT.failed);
      }
      if (res.status === 403) throw new CliFailure(`your token is not allowed to do this: ${detail}. Use a token with a higher role.`, EXIT.failed);
      throw new CliFailure(detail, EXIT.failed);
    },
  };
}

const FLAGS = { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false }, override: { type: 'string' } } as const;

function parse(argv: string[]): { positionals: string[]; json: boolean; help: boolean; override: string | undefined } {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: FLAGS });
    return { positionals, json: values.json === true, help: values.help === true, override: values.override };
  } catch (err) {
    throw new CliFailure(flagProblem(err, FLAGS), EXIT.usage);
  }
}

async function run(io: AdminCliIo, usage: string, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof CliFailure)) throw err;
    io.stderr.write(`shadowgate: ${err.message}\n`);
    if (err.exitCode === EXIT.usage) io.stderr.write(`\n${usage}`);
    return err.exitCode;
  }
}

const ROUTE_ACTIONS = ['rollback', 'promote', 'pause', 'resume'] as const;

export function runCanaryCli(argv: string[], io: AdminCliIo): Promise<number> {
  return run(io, CANARY_USAGE, async () => {
    const { positionals, json, help, override } = parse(argv);
    if (help) {
      io.stdout.write(CANARY_USAGE);
      return;
    }
    const [command, route, percent, ...extra] = positionals;
    const api = client(io.env ?? process.env);
    const needRoute = (): string => {
      if (route === undefined) throw new CliFailure(`canary ${command ?? ''}: ROUTE is required`, EXIT.usage);
      return encodeURIComponent(route);
    };
    if (command !== 'set' && (percent !== undefined || extra.length > 0)) {
      throw new CliFailure(`canary ${command ?? ''}: unexpected argument "${percent ?? extra[0]!}"`, EXIT.usage);
    }
    if (override !== undefined && command !== 'set' && command !== 'promote' && command !== 'resume') throw new CliFailure('--override applies to set, promote and resume only', EXIT.usage);
    if (override !== undefined && override.trim() === '') throw new CliFailure('--override needs a reason', EXIT.usage);
    const past = override === undefined ? {} : { override: true, reason: override };
    let result: unknown;
    if (command === 'set') {
      const name = needRoute();
      const weight = Number(percent);
      if (percent === undefined || percent.trim() === '' || !Number.isFinite(weight) || weight < 0 || weight > 100 || extra.length > 0) {
        throw new CliFailure('canary set ROUTE PERCENT: PERCENT must be a number from 0 to 100', EXIT.usage);
      }
      result = await api.request('PUT', `/admin/routes/${name}/canary`, { weight, ...past });
    } else if (command === 'clear') {
      result = await api.request('DELETE', `/admin/routes/${needRoute()}/canary`);
    } else if ((ROUTE_ACTIONS as readonly string[]).includes(command ?? '')) {
      result = await api.request('POST', `/admin/routes/${needRoute()}/${command!}`, (command === 'promote' || command === 'resume') && override !== undefined ? past : undefined);
    } else if (command === 'status') {
      result = route === undefined ? await api.request('GET', '/admin/routes') : await api.request('GET', `/admin/routes/${encodeURIComponent(route)}`);
      io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : renderStatus(result));
      return;
    } else {
      throw new CliFailure(command === undefined ? 'canary: a command is required' : `canary: unknown command "${command}"`, EXIT.usage);
    }
    io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : renderChange(route ?? '', command ?? '', result));
  });
}

export function runReportCli(argv: string[], io: AdminCliIo): Promise<number> {
  return run(io, REPORT_USAGE, async () => {
    const { positionals, json, help } = parse(argv);
    if (help) {
      io.stdout.write(REPORT_USAGE);
      return;
    }
    if (positionals.length > 1) throw new CliFailure('report takes at most one ROUTE', EXIT.usage);
    const route = positionals[0];
    const result = await client(io.env ?? process.env).request('GET', `/admin/report${route === undefined ? '' : `?route=${encodeURIComponent(route)}`}`);
    if (json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const reports = reportsOf(result);
    io.stdout.write(reports === undefined ? `${JSON.stringify(result, null, 2)}\n` : renderReport(reports, { color: io.stdout.isTTY === true }) + slicesText(reports));
  });
}

/** The report endpoint's body as route reports: an array, `{reports}`, `{routes}`, or one report. */
export function reportsOf(body: unknown): RouteReport[] | undefined {
  const isReport = (v: unknown): v is RouteReport => typeof v === 'object' && v !== null && 'route' in v && 'verdict' in v;
  const list = Array.isArray(body) ? body
    : typeof body === 'object' && body !== null && Array.isArray((body as { reports?: unknown }).reports) ? (body as { reports: unknown[] }).reports
      : typeof body === 'object' && body !== null && Array.isArray((body as { routes?: unknown }).routes) ? (body as { routes: unknown[] }).routes
        : isReport(body) ? [body] : undefined;
  return list !== undefined && list.every(isReport) ? list : undefined;
}

type Snapshot = { weight: number; state: string; step: number | null };

function renderChange(route: string, command: string, result: unknown): string {
  const r = result as { before?: Snapshot; after?: Snapshot };
  if (r.before === undefined || r.after === undefined) return `${route}: ${command} done\n`;
  return `${route}: ${command}: weight ${r.before.weight}% → ${r.after.weight}%, state ${r.before.state} → ${r.after.state}\n`;
}

function describeCheck(c: GuardrailCheck): string {
  const bound = c.bound === null || c.bound === undefined ? '' : `, bound ${String(c.bound)}`;
  return `${c.metric} ${c.value === null ? '—' : String(c.value)}${bound} (limit ${String(c.threshold)}, n=${c.n ?? '—'}) ${c.result}${c.detail ? `: ${c.detail}` : ''}`;
}

function renderStatus(body: unknown): string {
  const views: RouteView[] = Array.isArray((body as { routes?: unknown }).routes) ? (body as { routes: RouteView[] }).routes : [body as RouteView];
  const rows = views.map((v) => [
    v.name, v.candidate ?? '—', `${v.weight.value}%`, v.weight.source === 'runtime' ? `runtime (config ${v.weight.config}%)` : 'config',
    v.rollout === null ? v.state : `${v.state} step ${v.rollout.step + 1}/${v.rollout.steps.length}`, v.status,
  ]);
  const header = ['ROUTE', 'CANDIDATE', 'WEIGHT', 'SOURCE', 'STATE', 'STATUS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  let out = `${line(header)}\n${rows.map(line).join('\n')}\n`;
  for (const v of views) {
    if (v.rollback !== null) {
      out += `\n${v.name}: ${describeRollback(v.rollback)}\n`;
    }
    if (v.lastEvaluation !== null && views.length === 1) {
      out += `\nlast evaluation ${new Date(v.lastEvaluation.at).toISOString()}:\n${v.lastEvaluation.checks.map((c) => `  ${describeCheck(c)}`).join('\n')}\n`;
    }
  }
  return out;
}
