// Durable runtime state: a restart restores weights, rollout progress and rollbacks; a process killed
// while writing in a loop leaves a readable state file; a damaged file is reported, never reset.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { RoutingRuntime } from '../../src/routing/runtime.js';
import { AuditLog, auditRoutingEvents, describeAudit } from '../../src/state/audit.js';
import { StateFile } from '../../src/state/state-file.js';
import { spawnTracked, tempDir } from '../helpers/run.js';

const BUILT = fileURLToPath(new URL('../../dist/src/state/state-file.js', import.meta.url));

const config = parseConfig(JSON.stringify({
  upstreams: { incumbent: { url: 'http://127.0.0.1:9' }, candidate: { url: 'http://127.0.0.1:9' } },
  routes: [{ name: 'predict', primary: 'incumbent', canary: { upstream: 'candidate', weight: 1, guardrails: { minRequests: 20 } } }],
}));
const op = { token: 'ops', role: 'operator', source: '127.0.0.1' };

function runtime(dir: string, audit?: AuditLog): RoutingRuntime {
  const log = silentLogger();
  return new RoutingRuntime(config, {
    metrics: createMetrics(new Registry(), { defaults: false }), log, timers: false,
    store: new StateFile(join(dir, 'state.json')), onEvent: audit ? auditRoutingEvents(audit, log) : undefined,
  });
}

describe('state file', () => {
  it('restores a runtime weight and an automatic rollback after a restart', async () => {
    const dir = tempDir('sg-state-');
    const first = runtime(dir);
    first.setWeight('predict', 35, op);
    await first.flush();
    first.close();
    const second = runtime(dir);
    expect(second.route('predict')!.weight).toEqual({ value: 35, source: 'runtime', config: 1 });

    const audit = new AuditLog(join(dir, 'audit.jsonl'), silentLogger());
    const third = runtime(dir, audit);
    for (let i = 0; i < 50; i++) {
      third.recordLive('predict', 'incumbent', 200, 5, 1000);
      third.recordLive('predict', 'candidate', 503, 5, 1000);
    }
    third.evaluateNow(1000);
    await third.flush();
    third.close();
    await audit.close();
    const fourth = runtime(dir);
    // 20 failing candidate requests trip the hard-failure fast path, before any evaluation.
    expect(fourth.route('predict')).toMatchObject({ state: 'rolled_back', weight: { value: 0 }, rollback: { metric: 'hard_failure', by: 'guardrail', n: 20, at: 1000 } });
    // Nothing was evaluated since the restart, and the route still says why and when it was rolled back.
    expect(fourth.route('predict')!.status).toBe('rolled back automatically at 1970-01-01T00:00:01.000Z: 100% of the last 20 candidate requests failing, limit 50% (hard-failure fast path)');
    expect(fourth.decide('predict', {}, undefined)).toBe('incumbent');
    // The automatic rollback is in the audit trail, with before and after.
    const records = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual([expect.objectContaining({ action: 'rollback', token: 'shadowgate', role: 'system', before: { weight: 35, state: 'static', step: null }, after: { weight: 0, state: 'rolled_back', step: null } })]);
    // …and in plain words.
    expect(records[0]!.summary).toBe('shadowgate (automatic) rolled back the canary of predict: weight 35% → 0%, state static → rolled_back; '
      + 'rolled back automatically at 1970-01-01T00:00:01.000Z: 100% of the last 20 candidate requests failing, limit 50% (hard-failure fast path)');
  });

  it('an operator\'s rollback reads in plain words in the audit trail and the status', async () => {
    const dir = tempDir('sg-state-');
    const rt = runtime(dir);
    rt.setWeight('predict', 20, op);
    rt.rollback('predict', { token: 'demo', role: 'operator', source: '127.0.0.1' });
    await rt.flush();
    rt.close();
    const view = runtime(dir).route('predict')!;
    expect(view.status).toMatch(/^rolled back by demo \(manual rollback\) at \d{4}-\d\d-\d\dT/);
    expect(describeAudit({ time: 't', token: 'demo', role: 'operator', source: '127.0.0.1', action: 'canary.rollback', route: 'predict',
      before: { weight: 20, state: 'static' }, after: { weight: 0, state: 'rolled_back' }, result: 'ok' }))
      .toBe('demo (operator, from 127.0.0.1) rolled back the canary of predict: weight 20% → 0%, state static → rolled_back');
    expect(describeAudit({ time: 't', token: 'viewer', role: 'viewer', source: '10.0.0.9', action: 'canary.rollback', route: 'predict', before: null, after: null, result: 'SG_ERR_FORBIDDEN' }))
      .toBe('viewer (viewer, from 10.0.0.9) tried: rolled back the canary of predict; refused (SG_ERR_FORBIDDEN)');
  });

  it('writes a hard-failure rollback off the live thread: in force at once, on disk once flushed, restored after a restart (issue 22)', async () => {
    const dir = tempDir('sg-state-');
    try {
      const path = join(dir, 'state.json');
      const rt = runtime(dir);
      rt.setWeight('predict', 50, op);
      await rt.flush();
      const before = readFileSync(path, 'utf8');
      // The fast path runs inside recordLive, on the live thread, as the proxy calls it.
      for (let i = 0; i < 50 && rt.route('predict')!.state !== 'rolled_back'; i++) rt.recordLive('predict', 'candidate', 503, 5, 1000);
      expect(rt.route('predict')!.state).toBe('rolled_back');
      expect(rt.decide('predict', {}, undefined)).toBe('incumbent');
      // Nothing was written (nor fsynced) on this thread: the file still holds the state before the rollback.
      expect(readFileSync(path, 'utf8')).toBe(before);
      await rt.flush();
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ routes: { predict: { state: 'rolled_back', override: 0 } } });
      rt.close();
      expect(runtime(dir).route('predict')).toMatchObject({ state: 'rolled_back', weight: { value: 0 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a damaged state file instead of silently starting from scratch', () => {
    const dir = tempDir('sg-state-');
    writeFileSync(join(dir, 'state.json'), '{"v":1,"savedAt":1,"routes":{"predict":{"override":');
    expect(() => runtime(dir)).toThrow(expect.objectContaining({ code: 'SG_ERR_STATE_FILE' }));
    writeFileSync(join(dir, 'state.json'), '{"v":1,"savedAt":1,"routes":{"predict":{"override":500}}}');
    expect(() => runtime(dir)).toThrow(/unexpected shape/);
  });

  it('survives SIGKILL in the middle of a write loop: the file always parses and holds a complete state', async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` (npm test does it first)`);
    const dir = tempDir('sg-state-');
    const path = join(dir, 'state.json');
    // The child saves as fast as it can; stdout to a pipe is synchronous on Linux, so "ready" arrives mid-loop.
    const child = `
      import { StateFile } from ${JSON.stringify(BUILT)};
      const f = new StateFile(${JSON.stringify(path)});
      const route = (i) => ({ override: i % 101, state: 'static', step: 0, stepStartedAt: i, rollback: null, changedAt: i, changedBy: 'x'.repeat(i % 5000) });
      for (let i = 1; ; i++) {
        await f.save({ v: 1, savedAt: i, routes: { predict: route(i), other: route(i) } });
        if (i === 50) process.stdout.write('ready\\n');
      }`;
    for (let round = 0; round < 3; round++) {
      const p = spawnTracked(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => p.on('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve) => p.stdout!.once('data', () => resolve()));
      p.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const state = new StateFile(path).load();
      expect(state!.savedAt).toBeGreaterThanOrEqual(50);
      expect(state!.routes.predict!.stepStartedAt).toBe(state!.savedAt);
      expect(state!.routes.other!.changedBy.length).toBe(state!.savedAt % 5000);
    }
  });
});
