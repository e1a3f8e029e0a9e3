// TLS on both sides with certificates made in the test: the listener (TLS 1.2 at least, configurable
// higher, its certificate re-read on reload), X-Forwarded-Proto https, upstreams trusted by a CA bundle,
// and mTLS to live and shadow upstreams (no client certificate, no answer).
import { copyFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { makePki, opensslMissing, type TestPki } from '../helpers/certs.js';
import { startFromYaml } from '../helpers/app.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/run.js';

const missing = opensslMissing();
if (missing) console.warn(missing);

interface TlsUpstream { url: string; seen: { proto: string | undefined; clientCn: string | undefined; shadow: boolean }[]; close(): Promise<void> }

async function startTlsUpstream(pki: TestPki, opts: { requireClientCert: boolean }): Promise<TlsUpstream> {
  const seen: TlsUpstream['seen'] = [];
  const server = https.createServer({
    cert: pki.read(pki.server.cert), key: pki.read(pki.server.key),
    ...(opts.requireClientCert ? { ca: pki.read(pki.ca), requestCert: true, rejectUnauthorized: true } : {}),
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    seen.push({ proto: req.headers['x-forwarded-proto'] as string | undefined, clientCn: peer?.subject?.CN as string | undefined, shadow: req.headers['x-shadowgate-shadow'] === '1' });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function peerCn(port: number, ca: string, extra: tls.ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, ...extra }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.end();
      resolve(cn as string);
    });
    s.on('error', reject);
  });
}

describe.skipIf(missing !== undefined)('TLS', () => {
  let pki: TestPki;
  let plain: TestUpstream;
  beforeAll(async () => {
    pki = makePki();
    plain = await startUpstream(json(200, { ok: true }));
  });
  afterAll(async () => {
    await plain?.close();
  });

  it('serves HTTPS on the listener and tells the upstream X-Forwarded-Proto: https', async () => {
    const gw = await startFromYaml(`
server: { tls: { cert: "${pki.server.cert}", key: "${pki.server.key}" } }
upstreams: { a: { url: "${plain.url}" } }
routes: [{ name: r, primary: a }]
`);
    const agent = new Agent({ connect: { ca: pki.read(pki.ca) } });
    try {
      const from = plain.received.length;
      const res = await request(`https://127.0.0.1:${gw.port}/x`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      expect(plain.received[from]!.headers['x-forwarded-proto']).toBe('https');
      // TLS 1.1 is never offered, whatever the client asks.
      await expect(peerCn(gw.port, pki.read(pki.ca), { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).rejects.toThrow();
    } finally {
      await agent.close();
      await gw.close();
    }
  });

  it('minVersion TLSv1.3 refuses a TLS 1.2 client', async () => {
    const gw = await startFromYaml(`
server: { tls: { cert: "${pki.server.cert}", key: "${pki.server.key}", minVersion: TLSv1.3 } }
upstreams: { a: { url: "${plain.url}" } }
routes: [{ name: r, primary: a }]
`);
    try {
      await expect(peerCn(gw.port, pki.read(pki.ca), { maxVersion: 'TLSv1.2' })).rejects.toThrow();
      expect(await peerCn(gw.port, pki.read(pki.ca))).toBe('server-one');
    } finally {
      await gw.close();
    }
  });

  it('re-reads the certificate files on reload: new connections get the new certificate', async () => {
    const dir = tempDir('sg-tls-reload-');
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    copyFileSync(pki.server.cert, cert);
    copyFileSync(pki.server.key, key);
    const configPath = join(dir, 'config.yaml');
    const yaml = `
server: { tls: { cert: "${cert}", key: "${key}" } }
upstreams: { a: { url: "${plain.url}" } }
routes: [{ name: r, primary: a }]
`;
    writeFileSync(configPath, yaml);
    const gw = await startFromYaml(yaml, { configPath });
    try {
      expect(await peerCn(gw.port, pki.read(pki.ca))).toBe('server-one');
      copyFileSync(pki.server2.cert, cert);
      copyFileSync(pki.server2.key, key);
      expect(await gw.app.reload()).toEqual({ ok: true });
      expect(await peerCn(gw.port, pki.read(pki.ca))).toBe('server-two');
      // A broken file keeps the running certificate and says which path is wrong.
      writeFileSync(key, 'not a key');
      const bad = await gw.app.reload();
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.problems.join('\n')).toMatch(/server\.tls\.key.*not a PEM file/);
      expect(await peerCn(gw.port, pki.read(pki.ca))).toBe('server-two');
    } finally {
      await gw.close();
    }
  });

  it('trusts an upstream by its CA bundle and refuses it without', async () => {
    const up = await startTlsUpstream(pki, { requireClientCert: false });
    const gw = await startFromYaml(`
upstreams:
  trusted: { url: "${up.url}", tls: { ca: "${pki.ca}" } }
  untrusted: { url: "${up.url}" }
routes:
  - { name: good, match: { pathPrefix: /good }, primary: trusted }
  - { name: bad, match: { pathPrefix: /bad }, primary: untrusted }
`);
    try {
      const good = await request(`${gw.url}/good`);
      expect(good.statusCode).toBe(200);
      await good.body.dump();
      const bad = await request(`${gw.url}/bad`);
      expect(bad.statusCode).toBe(502);
      await bad.body.dump();
      expect(up.seen).toHaveLength(1);
      expect(up.seen[0]!.proto).toBe('http');
    } finally {
      await gw.close();
      await up.close();
    }
  });

  it('mTLS: live and shadow calls show the client certificate; without it the sandbox answers nothing', async () => {
    const up = await startTlsUpstream(pki, { requireClientCert: true });
    const gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s }
upstreams:
  live: { url: "${up.url}", tls: { ca: "${pki.ca}", cert: "${pki.client.cert}", key: "${pki.client.key}" } }
  sandbox: { url: "${up.url}", tls: { ca: "${pki.ca}", cert: "${pki.client.cert}", key: "${pki.client.key}", servername: localhost } }
  nocert: { url: "${up.url}", tls: { ca: "${pki.ca}" } }
routes:
  - name: r
    match: { pathPrefix: /v1 }
    primary: live
    shadow: { targets: [sandbox, nocert], policy: none, allowRawData: true }
`);
    try {
      const res = await request(`${gw.url}/v1/x`, { method: 'POST', body: '{}' });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      const outcomes = async () => (await gw.app.metrics.shadowRequests.get()).values.map((v) => `${v.labels.target}:${v.labels.outcome}`).sort();
      while ((await outcomes()).length < 2) await new Promise((r) => setTimeout(r, 5));
      expect((await outcomes())[1]).toBe('sandbox:2xx');
      expect((await outcomes())[0]).toMatch(/^nocert:(reset|error)$/);
      expect(up.seen.map((s) => [s.shadow, s.clientCn])).toEqual(expect.arrayContaining([[false, 'shadowgate-client'], [true, 'shadowgate-client']]));
      expect(up.seen).toHaveLength(2);
    } finally {
      await gw.close();
      await up.close();
    }
  });

  it('check-config names a missing file, a key that does not match, and tls on an http:// upstream', () => {
    const cfg = (server: string, upstream = '') => `
server: { tls: ${server} }
upstreams: { a: { url: "http://127.0.0.1:1"${upstream} } }
routes: [{ name: r, primary: a }]
`;
    expect(() => parseConfig(cfg(`{ cert: "${pki.dir}/nope.crt", key: "${pki.server.key}" }`))).toThrow(/server\.tls\.cert .*cannot read .*nope\.crt \(ENOENT\)/);
    expect(() => parseConfig(cfg(`{ cert: "${pki.server.cert}", key: "${pki.client.key}" }`))).toThrow(/server\.tls\.key .*does not load/);
    expect(() => parseConfig(cfg(`{ cert: "${pki.server.cert}", key: "${pki.server.key}" }`, `, tls: { ca: "${pki.ca}" }`))).toThrow(/upstreams\.a\.tls .*needs an https:\/\/ url/);
  });
});
