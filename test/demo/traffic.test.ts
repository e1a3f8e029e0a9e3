// The demo traffic: seeded and deterministic, production-shaped (recurring users, valid cards, IBANs,
// phones of several countries, personal data in notes), and a driver that counts what came back.
import { afterEach, describe, expect, test } from 'vitest';
import { createTrafficGenerator, driveTraffic, plantedValues } from '../../src/demo/traffic.js';
import { ibanValid, luhnValid } from '../../src/demo/people.js';
import { startDemoModel, type DemoModelServer } from '../../src/demo/model-server.js';

const servers: DemoModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('traffic generator', () => {
  test('the same seed gives the same requests, another seed other ones', () => {
    const a = createTrafficGenerator(42);
    const b = createTrafficGenerator(42);
    const c = createTrafficGenerator(43);
    const sa = Array.from({ length: 200 }, () => JSON.stringify(a.next()));
    expect(Array.from({ length: 200 }, () => JSON.stringify(b.next()))).toEqual(sa);
    expect(Array.from({ length: 200 }, () => JSON.stringify(c.next()))).not.toEqual(sa);
  });

  test('every card passes Luhn and every IBAN its mod-97 check', () => {
    const gen = createTrafficGenerator(1);
    let ibans = 0;
    for (let i = 0; i < 2000; i++) {
      const { payment } = gen.next();
      expect(luhnValid(payment.card), payment.card).toBe(true);
      if (payment.iban !== undefined) {
        ibans++;
        expect(ibanValid(payment.iban), payment.iban).toBe(true);
      }
    }
    expect(ibans).toBeGreaterThan(50);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  test('a few hundred users recur with the same personal data, phones come from several countries', () => {
    const gen = createTrafficGenerator(2);
    const byId = new Map<string, string>();
    const prefixes = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const { user, payment } = gen.next();
      const fingerprint = JSON.stringify([user.email, user.name, user.phone, user.dob, user.address, user.ip, payment.card]);
      expect(byId.get(user.id) ?? fingerprint).toBe(fingerprint);
      byId.set(user.id, fingerprint);
      prefixes.add(user.phone.split(' ')[0]!);
      expect(user.phone).toMatch(/^\+\d{1,3} [\d -]+$/);
      expect(user.email).toMatch(/^[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+$/);
    }
    expect(byId.size).toBeGreaterThan(150);
    expect(byId.size).toBeLessThanOrEqual(300);
    expect(prefixes.size).toBeGreaterThanOrEqual(6);
  });

  test('notes sometimes carry a name, an email or a phone, and plantedValues lists them all', () => {
    const gen = createTrafficGenerator(5);
    const sent = Array.from({ length: 500 }, () => gen.next());
    const planted = new Set(plantedValues(5, 500).map((p) => p.value));
    const withPii = sent.filter((b) => /@|\+\d|Gift for/.test(b.note));
    expect(withPii.length).toBeGreaterThan(50);
    for (const b of sent) {
      for (const v of [b.user.id, b.user.email, b.user.name, b.user.phone, b.user.dob, b.user.address.street, b.user.ip, b.payment.card]) {
        expect(planted.has(v)).toBe(true);
      }
      const friend = /^Gift for (.+), deliver/.exec(b.note)?.[1];
      if (friend !== undefined) expect(planted.has(friend)).toBe(true);
    }
  });
});

describe('driveTraffic', () => {
  test('counts every answer by status and reports latency percentiles', async () => {
    const m = await startDemoModel({ kind: 'incumbent', failRate: 0.2, baseLatencyMs: 0 });
    servers.push(m);
    const progress: number[] = [];
    const r = await driveTraffic({ url: m.url, path: '/v1/predict', durationMs: 3000, concurrency: 4, seed: 1, onProgress: (p) => progress.push(p.completed), progressIntervalMs: 100 });
    expect(r.completed).toBeGreaterThan(20);
    expect(r.completed).toBe(m.requests());
    expect(Object.values(r.byStatus).reduce((a, b) => a + b, 0)).toBe(r.completed);
    expect(Object.keys(r.byStatus).sort()).toEqual(['200', '500']);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
    expect(r.planted.length).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(0);
  });

  test('rejects bad options with a clear error', async () => {
    await expect(driveTraffic({ url: 'http://127.0.0.1:1', path: 'v1', durationMs: 10, concurrency: 1, seed: 1 })).rejects.toThrow(/path must start with \//);
    await expect(driveTraffic({ url: 'http://127.0.0.1:1', path: '/', durationMs: 10, concurrency: 0, seed: 1 })).rejects.toThrow(/concurrency/);
  });
});

describe('PlantedScanner', () => {
  test('finds planted values in JSON-in-JSON text, multi-word values as word sequences, and nothing else', async () => {
    const { PlantedScanner } = await import('../../src/demo/traffic.js');
    const gen = createTrafficGenerator(12);
    const body = gen.next();
    const scanner = new PlantedScanner(gen.planted());
    const record = JSON.stringify({ v: 1, request: { body: JSON.stringify(body) } });
    const kinds = scanner.scan(record).map((p) => p.kind);
    expect(kinds).toEqual(expect.arrayContaining(['id', 'email', 'name', 'phone', 'dob', 'street', 'ip', 'card']));
    const clean = JSON.stringify({ ...body, user: { ...body.user, email: 'x@example.invalid', name: body.user.name.split(' ')[0], phone: '+1 555', dob: '1990', address: {}, ip: '192.0.2.1', id: 'u_tok' }, payment: { card: '4000000000000002' }, note: '' });
    expect(scanner.scan(clean)).toEqual([]);
  });
});
