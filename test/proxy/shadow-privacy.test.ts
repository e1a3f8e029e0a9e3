// Invariant 2 end to end: no raw user value reaches a shadow target. Copies are anonymized before they
// leave; a route without a policy mirrors nothing; a copy the leak guard doubts is dropped and counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, sendMany, startFromYaml } from '../helpers/app.js';

let live: TestUpstream;
let control: TestUpstream;
let candidate: TestUpstream;

const person = (i: number) => ({
  email: `maria.gonzalez${i}@example.org`,
  name: `Maria Gonzalez`,
  phone: `+1 415 555 01${String(i).padStart(2, '0')}`,
  card: '4111 1111 1111 1111',
  ip: `81.2.69.${i + 10}`,
});

const body = (i: number) => JSON.stringify({
  user: { id: `user-${i}`, email: person(i).email, name: person(i).name, phone: person(i).phone, ip: person(i).ip },
  payment: { card: person(i).card },
  transaction: { amount: 120.5 + i, currency: 'USD', n_tx_24h: i },
  note: `Customer ${person(i).name} (${person(i).email}) asked to call ${person(i).phone}`,
});

function rawValues(i: number): string[] {
  const p = person(i);
  return [p.email, p.phone, p.card, p.card.replace(/ /g, ''), p.ip, 'Gonzalez', `user-${i}`];
}

beforeAll(async () => {
  live = await startUpstream(json(200, { prediction: 'legit' }));
  control = await startUpstream(json(200, { prediction: 'legit' }));
  candidate = await startUpstream(json(200, { prediction: 'legit' }));
});

afterAll(async () => {
  await live.close();
  await control.close();
  await candidate.close();
});

// Counting exact copies: a loaded test machine must not shed them as overload (tested on its own).
const yaml = (shadow: string, policy = '') => `
server: { maxEventLoopDelay: 10s }
upstreams: { live: { url: "${live.url}" }, control: { url: "${control.url}" }, candidate: { url: "${candidate.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: live
    shadow: { targets: [control, candidate], maxRps: 100000, ${shadow} }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    default:
      headers: { keep: [content-type, authorization] }
      fields: { "$.user.id": pseudonym, "$.user.email": email, "$.user.name": name, "$.user.phone": phone, "$.user.ip": { type: ip, mode: documentation }, "$.payment.card": card, "$.note": text }
      unknown: scan
    careless:
      headers: { keep: [content-type] }
      fields: {}
      unknown: keep
${policy}
`;

async function settle(gw: Awaited<ReturnType<typeof startFromYaml>>, route = 'predict'): Promise<void> {
  const shadow = gw.app.routeShadow(route)!;
  while (shadow.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
}

describe('shadow privacy', () => {
  it('sends only anonymized copies, marked as shadow traffic with the policy id', async () => {
    const gw = await startFromYaml(yaml('policy: default'));
    try {
      const answers = await sendMany(20, 4, (i) => send(gw.url, {
        method: 'POST', path: `/v1/predict?email=${encodeURIComponent(person(i).email)}`,
        headers: { 'content-type': 'application/json', authorization: 'Bearer live-secret-token-123', cookie: 'session=abc123secret' },
        body: body(i),
      }));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      await settle(gw);
      expect(candidate.received).toHaveLength(20);
      expect(control.received).toHaveLength(20);
      // The live upstream got the real request; the sandbox never did.
      expect(live.received.map((r) => r.body.toString())).toContain(body(0));
      for (const seen of [...candidate.received, ...control.received]) {
        const text = `${seen.url}\n${JSON.stringify(seen.headers)}\n${seen.body.toString()}`;
        for (let i = 0; i < 20; i++) for (const raw of rawValues(i)) expect(text).not.toContain(raw);
        for (const secret of ['live-secret-token-123', 'abc123secret']) expect(text).not.toContain(secret);
        expect(seen.headers['x-shadowgate-shadow']).toBe('1');
        expect(seen.headers['x-shadowgate-policy']).toMatch(/^default@[0-9a-f]{12}$/);
        const doc = JSON.parse(seen.body.toString());
        // Shape and model features survive.
        expect(doc.user.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
        expect(typeof doc.transaction.amount).toBe('number');
      }
      // The same user gets the same pseudonyms on a later request.
      for (let k = 0; k < 2; k++) await send(gw.url, { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: body(3) });
      await settle(gw);
      const [a, b] = candidate.received.slice(-2).map((r) => JSON.parse(r.body.toString()));
      expect(a.user).toEqual(b.user);
      expect(a.user.id).not.toBe('user-3');
      const replaced = await gw.app.metrics.anonymizerReplacements.get();
      expect(replaced.values.reduce((s, v) => s + v.value, 0)).toBeGreaterThanOrEqual(20 * 6);
    } finally {
      await gw.close();
    }
  });

  it('mirrors nothing when the route names no policy', async () => {
    const before = candidate.received.length;
    const gw = await startFromYaml(yaml(''));
    try {
      await sendMany(5, 1, (i) => send(gw.url, { method: 'POST', path: '/v1/predict', body: body(i) }));
      const dropped = await gw.app.metrics.shadowDropped.get();
      expect(dropped.values).toEqual([expect.objectContaining({ value: 5, labels: { route: 'predict', reason: 'no_policy' } })]);
      expect(candidate.received.length).toBe(before);
    } finally {
      await gw.close();
    }
  });

  it('drops and counts a copy when the leak guard still finds personal data (a rule was missing)', async () => {
    const before = candidate.received.length;
    const gw = await startFromYaml(yaml('policy: careless'));
    try {
      await sendMany(5, 1, (i) => send(gw.url, { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: body(i) }));
      await settle(gw); // the leak guard runs in a shadow thread: its verdict comes back with the result
      const leaks = await gw.app.metrics.anonymizerLeaksBlocked.get();
      expect(leaks.values[0]?.value).toBe(5);
      expect(candidate.received.length).toBe(before);
    } finally {
      await gw.close();
    }
  });
});
