// One ledger for a Redis fleet, on a real redis-server: two replicas forward experiment entries, only the
// judge chains them; the judge changes and the chain continues where it was; a deposed judge that still
// pumps cannot fork it; the exported stream and head pass `verifyLedger`, and a changed byte does not.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrivateKey, signerOf, verifierOf } from '../../src/ledger/keys.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { exportStream, LedgerStream } from '../../src/ledger/stream.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { redisAvailable, startRedis, type TestRedis } from '../fleet/redis-server.js';

describe.runIf(redisAvailable())('the fleet ledger stream', () => {
  let redis: TestRedis;
  const conns: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const c of conns) c.disconnect();
    await redis?.close();
  });
  const connect = () => {
    const c = new Redis(redis.url);
    conns.push(c);
    return c;
  };

  it('chains every replica\'s entries by the judge only, across a change of judge, verifiably', async () => {
    const signer = signerOf(parsePrivateKey(randomBytes(32).toString('base64url'), 'test'));
    let judge: 'a' | 'b' = 'a';
    const a = new LedgerStream(connect(), 'fleet:', signer, () => judge === 'a');
    const b = new LedgerStream(connect(), 'fleet:', signer, () => judge === 'b');
    await a.append({ type: 'created', experiment: 'e1', details: { by: 'alice', replica: 'a' } });
    await b.append({ type: 'approved', experiment: 'e1', details: { by: 'lead', replica: 'b' } });
    await b.append({ type: 'started', experiment: 'e1', details: { replica: 'b' } });
    // A replica that does not judge forwards but never chains.
    expect(await b.pump()).toBe(0);
    expect(await a.pump()).toBe(3);
    expect(await a.pump()).toBe(0);

    // The lease moves to b: it continues the chain from the shared head.
    judge = 'b';
    await a.append({ type: 'concluded', experiment: 'e1', verdict: { verdict: 'pass', evidence: { samples: 3000 } } });
    expect(await a.pump()).toBe(0);
    expect(await b.pump()).toBe(1);

    // A deposed judge that still believes it judges (its lease lapsed unseen) reads the same head: it
    // cannot append a stale seq. Two pumps racing on the same inbox entry append it once.
    await b.append({ type: 'overridden', experiment: 'e1', details: { reason: 'INC-1' } });
    const deposed = new LedgerStream(connect(), 'fleet:', signer, () => true);
    const [x, y] = await Promise.all([deposed.pump(), b.pump()]);
    expect(x + y).toBe(1);

    const out = await exportStream(connect(), 'fleet:');
    expect(out.entries).toBe(5);
    const entries = out.text.trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
    expect(entries.map((e) => [e.seq, e.type])).toEqual([[1, 'created'], [2, 'approved'], [3, 'started'], [4, 'concluded'], [5, 'overridden']]);
    expect(entries[1]!.details).toMatchObject({ replica: 'b' });
    const verifiers = [verifierOf(signer.publicKey)];
    expect(verifyLedger(out.text, { verifiers, head: out.head })).toMatchObject({ ok: true, entries: 5, signaturesChecked: true });
    const forged = out.text.replace('"INC-1"', '"INC-2"');
    expect(verifyLedger(forged, { verifiers, head: out.head })).toMatchObject({ ok: false, line: 5 });
    const dropped = out.text.split('\n').filter((_, i) => i !== 2).join('\n');
    expect(verifyLedger(dropped, { verifiers, head: out.head })).toMatchObject({ ok: false });
  });
});
