// Invariant 2 whatever the body's encoding, end to end through the proxy (real sockets): for each charset
// and content coding the sandbox receives either a correctly anonymized body in a readable encoding
// (identity, UTF-8, headers saying so) or nothing, and then the drop is counted with its reason.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';

let live: TestUpstream;
let control: TestUpstream;
let candidate: TestUpstream;
let gw: Awaited<ReturnType<typeof startFromYaml>>;

const EMAIL = 'maria.gonzalez@example.org';
const CARD = '4539148803436467';
const PHONE = '+1 415 555 2671';
const doc = { user: { email: EMAIL, name: 'Zoë Müller' }, note: `card ${CARD}, call ${PHONE}`, amount: 12.50 };
const RAW = [EMAIL, CARD, '4155552671', 'Müller', 'Muller', 'maria.gonzalez'];

beforeAll(async () => {
  live = await startUpstream(json(200, { prediction: 'legit' }));
  control = await startUpstream(json(200, { prediction: 'legit' }));
  candidate = await startUpstream(json(200, { prediction: 'legit' }));
  gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s }
upstreams: { live: { url: "${live.url}" }, control: { url: "${control.url}" }, candidate: { url: "${candidate.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: live
    shadow: { targets: [control, candidate], maxRps: 100000, maxBodyBytes: 64kb, policy: default }
  - name: blob
    match: { pathPrefix: /v1/blob }
    primary: live
    shadow: { targets: [control, candidate], maxRps: 100000, maxBodyBytes: 64kb, policy: bytes }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    default:
      headers: { keep: [content-type, content-encoding] }
      fields: { "$.user.name": name }
      unknown: scan
    bytes:
      headers: { keep: [content-type, content-encoding] }
      unknown: scan
      keepUnknownBodies: true
`);
});

afterAll(async () => {
  await gw?.close();
  await live.close();
  await control.close();
  await candidate.close();
});

/** Polls state the proxy changes on its own schedule, with a deadline (the shadow copy leaves after the answer). */
async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function dropped(route: string, reason: string): Promise<number> {
  const m = await gw.app.metrics.shadowDropped.get();
  return m.values.find((v) => v.labels.route === route && v.labels.reason === reason)?.value ?? 0;
}

/** Sends one request; resolves with what the candidate received for it (undefined when nothing did). */
async function mirror(path: string, body: Buffer, headers: Record<string, string>, drop?: string) {
  const route = path.startsWith('/v1/blob') ? 'blob' : 'predict';
  const before = candidate.received.length;
  const droppedBefore = drop === undefined ? 0 : await dropped(route, drop);
  const answer = await send(gw.url, { method: 'POST', path, headers, body });
  expect(answer.status).toBe(200);
  // The live upstream got the client's bytes unchanged.
  expect(live.received.at(-1)!.body.equals(body)).toBe(true);
  if (drop !== undefined) {
    await until(async () => (await dropped(route, drop)) === droppedBefore + 1, `a ${drop} drop`);
    expect(candidate.received.length).toBe(before);
    return undefined;
  }
  await until(() => candidate.received.length > before && control.received.length >= candidate.received.length, 'the shadow copy');
  return candidate.received.at(-1)!;
}

function expectClean(body: Buffer): void {
  for (const view of [body.toString('utf8'), body.toString('latin1'), body.toString('utf16le')]) {
    const lower = view.toLowerCase().normalize('NFKC');
    for (const v of RAW) expect(lower).not.toContain(v.toLowerCase());
  }
}

describe('shadow copies of encoded bodies', () => {
  const text = JSON.stringify(doc);
  const cases: [string, Buffer, Record<string, string>][] = [
    ['UTF-16LE without a BOM (charset=utf-16)', Buffer.from(text, 'utf16le'), { 'content-type': 'application/json; charset=utf-16' }],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]), { 'content-type': 'application/json; charset=utf-16be' }],
    ['ISO-8859-1', Buffer.from(text, 'latin1'), { 'content-type': 'application/json; charset=iso-8859-1' }],
    ['windows-1252 text/plain', Buffer.from(`Zoë Müller: ${EMAIL}, ${PHONE}`, 'latin1'), { 'content-type': 'text/plain; charset=windows-1252' }],
    ['gzip', gzipSync(Buffer.from(text)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
    ['deflate', deflateSync(Buffer.from(text)), { 'content-type': 'application/json', 'content-encoding': 'deflate' }],
    ['br', brotliCompressSync(Buffer.from(text)), { 'content-type': 'application/json', 'content-encoding': 'br' }],
    ['gzip over UTF-16LE', gzipSync(Buffer.from(text, 'utf16le')), { 'content-type': 'application/json; charset=utf-16le', 'content-encoding': 'gzip' }],
  ];

  for (const [label, body, headers] of cases) {
    it(`${label}: the sandbox gets anonymized UTF-8, identity-encoded, headers fixed`, async () => {
      const seen = (await mirror('/v1/predict', body, headers))!;
      expect(seen.headers['content-encoding']).toBeUndefined();
      expect(seen.headers['content-type']).toMatch(headers['content-type']!.includes('charset') ? /charset=utf-8$/ : /^(?:application\/json|text\/plain)/);
      expect(Number(seen.headers['content-length'] ?? seen.body.length)).toBe(seen.body.length);
      expectClean(seen.body);
      const out = seen.body.toString('utf8');
      if (headers['content-type']!.startsWith('application/json')) {
        const got = JSON.parse(out) as typeof doc;
        expect(got.user.email).toMatch(/^[a-z2-7]{10}@[a-z2-7]{8}\.org$/);
        expect(got.amount).toBe(12.5);
      } else {
        expect(out).toMatch(/[a-z2-7]{10}@[a-z2-7]{8}\.org/);
      }
    });
  }

  it('invalid UTF-8 is dropped as unreadable_body, never passed through', async () => {
    const body = Buffer.concat([Buffer.from(`{"note":"mail maria.gonzalez`), Buffer.from([0xc3]), Buffer.from(`@example.org"}`)]);
    await mirror('/v1/predict', body, { 'content-type': 'application/json' }, 'unreadable_body');
  });

  it('an unknown content coding is dropped as unreadable_body', async () => {
    await mirror('/v1/predict', Buffer.from(text), { 'content-type': 'application/json', 'content-encoding': 'compress' }, 'unreadable_body');
  });

  it('a zip bomb is dropped as body_too_large (bounded by shadow.maxBodyBytes once decoded)', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    await mirror('/v1/predict', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'body_too_large');
  });

  it('kept opaque bodies still pass the byte scan: UTF-16 personal data inside is a leak', async () => {
    const body = Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from(`owner ${EMAIL}`, 'utf16le')]);
    await mirror('/v1/blob', body, { 'content-type': 'application/octet-stream' }, 'leak');
    await mirror('/v1/blob', gzipSync(Buffer.from(`--x\r\nContent-Disposition: form-data; name="f"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u0000card ${CARD}\r\n--x--`)), { 'content-type': 'multipart/form-data; boundary=x', 'content-encoding': 'gzip' }, 'leak');
  });

  it('a clean kept opaque body arrives decoded', async () => {
    const bytes = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 31) % 256));
    const seen = (await mirror('/v1/blob', gzipSync(bytes), { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }))!;
    expect(seen.body.equals(bytes)).toBe(true);
    expect(seen.headers['content-encoding']).toBeUndefined();
  });
});
