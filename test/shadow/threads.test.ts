// Shadow work off the live thread, end to end over real sockets: the policy runs on a shadow thread
// (its threadId, never the live thread's); a shadow thread that is blocked delays no live answer; a full
// thread queue drops copies as overload; a thread that dies is replaced and counted, its copies dropped;
// a reload reaches the threads, and each copy is processed under the generation it was admitted in.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/compare/stats.js';
import { parseConfig } from '../../src/config/load.js';
import { echo, json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { TEST_KEY, send, sendMany, startFromYaml } from '../helpers/app.js';

let live: TestUpstream;
let control: TestUpstream;
let candidate: TestUpstream;

beforeAll(async () => {
  live = await startUpstream(json(200, { prediction: 'legit' }));
  control = await startUpstream(echo);
  candidate = await startUpstream(echo);
});

afterAll(async () => {
  await live.close();
  await control.close();
  await candidate.close();
});

const WORDS = ['the', 'customer', 'asked', 'about', 'a', 'refund', 'for', 'order', 'delivered', 'late', 'and', 'wants', 'a', 'call'];

/** ~60 KB of free text with personal data sprinkled in: the anonymizer's most expensive input. */
function freeText(seed: number, bytes = 60_000): string {
  const random = seededRandom(seed);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const w = i % 40 === 0 ? `maria.gonzalez${i}@example.org` : i % 53 === 0 ? `+1 415 555 01${String(i % 100).padStart(2, '0')}` : WORDS[Math.floor(random() * WORDS.length)]!;
    parts.push(w);
    size += w.length + 1;
  }
  return parts.join(' ');
}

/** `shadowgate_shadow_thread_queue` as a scrape reads it. */
async function threadQueue(gw: Awaited<ReturnType<typeof startFromYaml>>): Promise<number> {
  return (await gw.app.metrics.shadowThreadQueue.get()).values[0]?.value ?? 0;
}

const config = (extra = '', policyHeaders = '[content-type]', shadow = '') => `
server: { maxEventLoopDelay: 10s, shadowThreads: 1 ${extra} }
upstreams: { live: { url: "${live.url}" }, control: { url: "${control.url}", timeout: 10s }, candidate: { url: "${candidate.url}", timeout: 10s } }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: live
    shadow: { targets: [control, candidate], maxRps: 100000, maxInFlight: 1000, policy: default ${shadow} }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    default:
      headers: { keep: ${policyHeaders} }
      fields: { "$.user.email": email, "$.note": text }
      unknown: scan
`;

const post = (url: string, i: number, note = 'call me at maria.gonzalez@example.org', headers: Record<string, string> = {}) =>
  send(url, { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ user: { email: `u${i}@example.org` }, note }) });

type Gateway = Awaited<ReturnType<typeof startFromYaml>>;

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 5));
}

async function dropped(gw: Gateway, reason: string): Promise<number> {
  const m = await gw.app.metrics.shadowDropped.get();
  return m.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

describe('shadow threads', () => {
  it('runs the policy on a shadow thread, and a blocked shadow thread delays no live answer', async () => {
    const gw = await startFromYaml(config());
    try {
      const shadow = gw.app.routeShadow('predict')!;
      const threads = gw.app.shadowThreads;
      const release = threads.hold();
      let answers;
      try {
        // The only shadow thread cannot run a line: every live request must still be answered, which it
        // could not be if any part of the shadow work (anonymizing 60 KB of free text) sat on its path.
        answers = await sendMany(12, 4, (i) => post(gw.url, i, freeText(i)));
        expect(shadow.inFlightCount).toBe(12);
        expect(threads.queued).toBe(12);
        expect(shadow.policyThreadIds.size).toBe(0);
      } finally {
        release();
      }
      expect(answers.map((a) => a.status)).toEqual(new Array(12).fill(200));
      await until(() => shadow.inFlightCount === 0);
      // Each copy was anonymized, sent to both targets and compared on a thread that is not this one.
      expect([...shadow.policyThreadIds.keys()]).toEqual(threads.threadIds);
      expect(shadow.policyThreadIds.get(threads.threadIds[0]!)).toBe(12);
      expect(threads.threadIds).not.toContain(threadId);
      expect(gw.app.report('predict')).toMatchObject({ sinceStart: { compared: 12 } });
      const seen = control.received.slice(-12).map((r) => r.body.toString('utf8'));
      for (const body of seen) expect(body).not.toContain('maria.gonzalez');
    } finally {
      await gw.close();
    }
  });

  it('drops a copy as overload when the thread queue is full, and counts it', async () => {
    const gw = await startFromYaml(config(', shadowQueue: { copies: 4 }'));
    try {
      const shadow = gw.app.routeShadow('predict')!;
      const release = gw.app.shadowThreads.hold();
      try {
        const answers = await sendMany(10, 1, (i) => post(gw.url, i));
        expect(answers.every((a) => a.status === 200)).toBe(true);
        expect(shadow.inFlightCount).toBe(4);
        expect(await dropped(gw, 'overload')).toBe(6);
        expect(await threadQueue(gw)).toBe(4);
      } finally {
        release();
      }
      await until(() => shadow.inFlightCount === 0);
      expect(gw.app.report('predict')).toMatchObject({ sinceStart: { compared: 4 } });
      // The queue gauge follows the thread, not only the hand-offs: with nothing posted since, it reads 0.
      expect(await threadQueue(gw)).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('replaces a thread that dies, counts it and drops its copies; live answers are untouched', async () => {
    const hung = await startUpstream(() => undefined);
    const gw = await startFromYaml(config().replace(`url: "${candidate.url}", timeout: 10s`, `url: "${hung.url}", timeout: 30s`));
    try {
      const shadow = gw.app.routeShadow('predict')!;
      const threads = gw.app.shadowThreads;
      const first = threads.threadIds[0]!;
      const before = await sendMany(3, 1, (i) => post(gw.url, i));
      expect(before.map((a) => a.status)).toEqual([200, 200, 200]);
      await until(() => hung.received.length === 3); // the thread holds three copies, waiting on the candidate
      threads.crash(0);
      await until(() => threads.restartCount === 1 && threads.threadIds.length === 1 && threads.threadIds[0] !== first);
      expect(shadow.inFlightCount).toBe(0);
      expect(await dropped(gw, 'thread_crash')).toBe(3);
      expect((await gw.app.metrics.shadowThreadRestarts.get()).values[0]?.value).toBe(1);
      hung.behaviour = echo;
      const after = await sendMany(3, 1, (i) => post(gw.url, 10 + i));
      expect(after.map((a) => a.status)).toEqual([200, 200, 200]);
      await until(() => shadow.inFlightCount === 0);
      expect(shadow.policyThreadIds.get(threads.threadIds[0]!)).toBe(3);
    } finally {
      await gw.close();
      await hung.close();
    }
  });

  it('applies a reload on the threads, each copy under the generation it was admitted in', async () => {
    const gw = await startFromYaml(config());
    try {
      const threads = gw.app.shadowThreads;
      const release = threads.hold();
      const mark = control.received.length;
      try {
        await post(gw.url, 1, 'old', { 'x-trace': 'a' });
        const next = parseConfig(config('', '[content-type, x-trace]'), { env: { SHADOWGATE_KEY: TEST_KEY } });
        expect(await gw.app.reload({ ...next, admin: gw.app.config.admin })).toEqual({ ok: true });
        await post(gw.url, 2, 'new', { 'x-trace': 'b' });
      } finally {
        release();
      }
      await until(() => control.received.length >= mark + 2 && gw.app.routeShadow('predict')!.inFlightCount === 0);
      const got = control.received.slice(mark).map((r) => [JSON.parse(r.body.toString('utf8')).note as string, r.headers['x-trace']]);
      // The first copy reached the thread before the new policy and keeps the old one (x-trace dropped).
      expect(got).toEqual([['old', undefined], ['new', 'b']]);
    } finally {
      await gw.close();
    }
  });

  it.skipIf(!existsSync('/proc/thread-self'))('schedules the shadow threads below the live thread with shadowThreadNice (Linux)', async () => {
    const niceOf = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
    };
    const tasks = () => readdirSync('/proc/self/task').map((tid) => ({ tid, nice: niceOf(tid) }));
    const base = niceOf(String(process.pid));
    const before = tasks().filter((t) => t.nice === Math.min(19, base + 7)).length;
    const gw = await startFromYaml(config(', shadowThreadNice: 7'));
    try {
      // One more task of this process at the lowered priority: the shadow thread; the live (main) thread keeps its own.
      expect(tasks().filter((t) => t.nice === Math.min(19, base + 7)).length).toBe(before + 1);
      expect(niceOf(String(process.pid))).toBe(base);
      const answer = await post(gw.url, 1);
      expect(answer.status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
