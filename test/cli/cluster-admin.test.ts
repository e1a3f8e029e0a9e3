// server.workers: 2 is first-class (issue 12 point 4): the primary owns canary state and judges
// rollouts on the workers' merged live windows; the whole admin API works; a weight change reaches
// every worker; gauges are not summed; openMetrics: false is honoured.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { adminCall, configFile, traffic, until } from '../fleet/helpers.js';

let incumbent: TestUpstream;
let candidate: TestUpstream;

beforeAll(async () => {
  incumbent = await startUpstream((_q, _b, res) => res.end('incumbent'));
  candidate = await startUpstream((_q, _b, res) => res.end('candidate'));
});

afterAll(async () => {
  await incumbent.close();
  await candidate.close();
});

function cluster(canary: string, admin = '', shadow = ''): string {
  return configFile(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { host: 127.0.0.1, port: 0, stateFile: {dir}/state.json, auditFile: {dir}/audit.jsonl ${admin} }
log: { access: false, level: info }
state: { evidenceInterval: 100ms }
upstreams: { inc: { url: "${incumbent.url}" }, cand: { url: "${candidate.url}" } }
routes:
  - name: r
    match: { pathPrefix: /v1 }
    primary: inc
    canary: ${canary}
${shadow}
`).file;
}

async function startCluster(file: string) {
  const pids = new Set<number>();
  let adminPort = 0;
  const started = await startCli(['serve', '--config', file], (l) => {
    if (l.msg === 'shadowgate listening') pids.add(l.pid as number);
    if (l.msg === 'shadowgate cluster admin listening') adminPort = l.adminPort as number;
    return pids.size === 2 && adminPort > 0;
  });
  const port = started.lines.find((l) => l.msg === 'shadowgate listening')!.port as number;
  return { ...started, port, adminPort };
}

it('serves the admin API from the primary: routes, a weight change every worker applies, the audit trail, one gauge value', async () => {
  const c = await startCluster(cluster('{ upstream: cand, weight: 0 }'));
  try {
    const routes = await adminCall(c.adminPort, 'GET', '/admin/routes');
    expect(routes.status).toBe(200);
    expect(routes.json.routes[0]).toMatchObject({ name: 'r', weight: { value: 0 } });

    const before = await traffic(c.port, 40);
    expect(before.bodies.every((b) => b === 'incumbent')).toBe(true);

    const set = await adminCall(c.adminPort, 'PUT', '/admin/routes/r/canary', { weight: 100 });
    expect(set.status).toBe(200);
    expect(set.json.after.weight).toBe(100);
    // Both workers serve (round-robin connections): once applied, every request reaches the candidate.
    await until('both workers to apply weight 100', async () => {
      const t = await traffic(c.port, 40);
      return t.bodies.every((b) => b === 'candidate') ? true : undefined;
    });

    const set20 = await adminCall(c.adminPort, 'PUT', '/admin/routes/r/canary', { weight: 20 });
    expect(set20.status).toBe(200);
    const metrics = await until('the gauge to read 20', async () => {
      const m = await adminCall(c.adminPort, 'GET', '/metrics');
      return /shadowgate_canary_weight_percent\{route="r"\} 20\b/.test(m.json as string) ? (m.json as string) : undefined;
    });
    // One value, not one per worker summed (it read 40 for a weight of 20).
    expect(metrics.match(/^shadowgate_canary_weight_percent\{route="r"\} .*$/gm)).toEqual(['shadowgate_canary_weight_percent{route="r"} 20']);

    const audit = await adminCall(c.adminPort, 'GET', '/admin/audit');
    expect(audit.status).toBe(200);
    expect(audit.json.records.map((r: { action: string }) => r.action)).toEqual(['canary.set', 'canary.set']);
  } finally {
    c.child.kill('SIGTERM');
    await c.exited;
  }
});

it('rolls a candidate answering 500 back on the workers\' merged evidence', async () => {
  candidate.behaviour = (_q, _b, res) => { res.statusCode = 500; res.end('candidate'); };
  try {
    const c = await startCluster(cluster(`{ upstream: cand, weight: 0, rollout: { steps: [50], stepDuration: 1h, minRequests: 1, interval: 100ms }, guardrails: { minRequests: 20, hardFailure: { enabled: false } } }`));
    try {
      // Traffic until the primary rolls back: each worker alone may hold fewer than 20 candidate calls.
      const rolled = await until('the rollback', async () => {
        await traffic(c.port, 40);
        const r = await adminCall(c.adminPort, 'GET', '/admin/routes/r');
        return r.json.state === 'rolled_back' ? r.json : undefined;
      });
      expect(rolled.rollback).toMatchObject({ metric: 'error_rate_delta', by: 'guardrail' });
      // Every worker applied it: nothing reaches the candidate any more.
      await until('both workers to stop sending to the candidate', async () => {
        const t = await traffic(c.port, 40);
        return t.bodies.every((b) => b === 'incumbent') ? true : undefined;
      });
      const audit = await adminCall(c.adminPort, 'GET', '/admin/audit');
      expect(audit.json.records.map((r: { action: string }) => r.action)).toContain('rollback');
    } finally {
      c.child.kill('SIGTERM');
      await c.exited;
    }
  } finally {
    candidate.behaviour = (_q, _b, res) => res.end('candidate');
  }
});

it('rolls back a static canary whose candidate answers 500 (the guardrails never ran with workers before)', async () => {
  candidate.behaviour = (_q, _b, res) => { res.statusCode = 500; res.end('candidate'); };
  try {
    const c = await startCluster(cluster('{ upstream: cand, weight: 50, guardrails: { hardFailure: { minRequests: 10 } } }'));
    try {
      // The hard-failure fast path of each worker (or the primary's 10 s evaluation, whichever is first).
      const rolled = await until('the rollback', async () => {
        await traffic(c.port, 100, { concurrency: 16 });
        const r = await adminCall(c.adminPort, 'GET', '/admin/routes/r');
        return r.json.state === 'rolled_back' ? r.json : undefined;
      });
      expect(rolled.rollback).toMatchObject({ by: 'guardrail', metric: 'hard_failure' });
      await until('both workers to stop sending to the candidate', async () => {
        const t = await traffic(c.port, 40);
        return t.bodies.every((b) => b === 'incumbent') ? true : undefined;
      });
      const m = (await adminCall(c.adminPort, 'GET', '/metrics')).json as string;
      expect(m).toMatch(/^shadowgate_canary_weight_percent\{route="r"\} 0$/m);
    } finally {
      c.child.kill('SIGTERM');
      await c.exited;
    }
  } finally {
    candidate.behaviour = (_q, _b, res) => res.end('candidate');
  }
});

it('honours openMetrics: false on the primary', async () => {
  const c = await startCluster(cluster('{ upstream: cand, weight: 0 }', `, openMetrics: false, tokens: [{ name: ops, role: viewer, sha256: "${'0'.repeat(64)}" }]`));
  try {
    const m = await adminCall(c.adminPort, 'GET', '/metrics');
    expect(m.status).toBe(401);
  } finally {
    c.child.kill('SIGTERM');
    await c.exited;
  }
});

const sumOf = (metrics: string, re: RegExp): number => [...metrics.matchAll(re)].reduce((a, x) => a + Number(x[1]), 0);

it('answers /admin/report for both workers: its counts are the sum of what each compared', async () => {
  const c = await startCluster(cluster('{ upstream: cand, weight: 0 }', '',
    '    shadow: { targets: [inc, cand], policy: none, allowRawData: true, maxRps: 100000, burst: 1000, maxInFlight: 1000, compare: { slices: { paths: [{ path: $.x }] } } }'));
  try {
    await traffic(c.port, 60, { concurrency: 4 });
    // Shadow copies finish after the live answers: wait until none is in flight (bounded).
    const metrics = await until('the shadow copies to finish', async () => {
      const m = (await adminCall(c.adminPort, 'GET', '/metrics')).json as string;
      const done = sumOf(m, /^shadowgate_shadow_in_flight\{route="r"\} (\d+)$/gm) === 0 && sumOf(m, /^shadowgate_comparisons_total\{route="r",result="[a-z_]+"\} (\d+)$/gm) > 0;
      return done ? m : undefined;
    });
    const compared = sumOf(metrics, /^shadowgate_comparisons_total\{route="r",result="[a-z_]+"\} (\d+)$/gm);
    const report = await adminCall(c.adminPort, 'GET', '/admin/report?route=r');
    expect(report.status).toBe(200);
    // The two workers' comparers merged: exactly what they compared between them (Prometheus sums it per worker).
    expect(report.json.sinceStart.exchanges).toBe(compared);
    expect(report.json.fleet.replicas).toBe(2);
    // compare.slices: the workers' slice tables merged too (every body is {}: one (missing) segment).
    expect(report.json.slices.paths[0]).toMatchObject({ path: '$.x', exchanges: compared, segments: [{ value: '(missing)', exchanges: compared }] });
  } finally {
    c.child.kill('SIGTERM');
    await c.exited;
  }
});
