// Issue 20, findings 1 and 8, end to end through the proxy (real sockets, real sandbox upstreams): every
// body format reaches the sandbox whole, in its own format and anonymized — HTML with entity-encoded
// values, XML/SOAP by element (and field rules on XML paths), CSV by column, multipart, YAML, NDJSON,
// JSON lines, no content type — or not at all, with the drop counted by its reason. No copy is ever sent
// with a stripped body, under a strict policy and under `unknown: scan` alone.
import { decodeHTML } from 'entities';
import { parse as parseYaml } from 'yaml';
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
const STREET = '221B Baker Street';
const DOB = '1984-03-09';
const SSN = '078-05-1120';
const NAME = 'Maria Gonzalez';

beforeAll(async () => {
  live = await startUpstream(json(200, { prediction: 'legit' }));
  control = await startUpstream(json(200, { prediction: 'legit' }));
  candidate = await startUpstream(json(200, { prediction: 'legit' }));
  gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s }
upstreams: { live: { url: "${live.url}" }, control: { url: "${control.url}" }, candidate: { url: "${candidate.url}" } }
routes:
  - name: strict
    match: { pathPrefix: /v1/strict }
    primary: live
    shadow: { targets: [control, candidate], maxRps: 100000, maxBodyBytes: 64kb, policy: strict }
  - name: scan
    match: { pathPrefix: /v1/scan }
    primary: live
    shadow: { targets: [control, candidate], maxRps: 100000, maxBodyBytes: 64kb, policy: scan }
anonymize:
  key: \${SHADOWGATE_KEY}
  maxScanBytes: 4kb
  policies:
    strict:
      headers: { keep: [content-type] }
      fields:
        "$.Envelope.Body.order.note": redact
        "$..customer['@id']": { type: pseudonym, prefix: "c_" }
        "$.user.name": name
        "$.comment": text
      unknown: scan
    scan:
      headers: { keep: [content-type] }
      unknown: scan
`);
});

afterAll(async () => {
  await gw?.close();
  await live?.close();
  await control?.close();
  await candidate?.close();
});

async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function drops(route: string): Promise<Map<string, number>> {
  const m = await gw.app.metrics.shadowDropped.get();
  return new Map(m.values.filter((v) => v.labels.route === route).map((v) => [String(v.labels.reason), v.value]));
}

type Seen = { kind: 'sent'; body: Buffer; contentType: string | undefined } | { kind: 'dropped'; reason: string };

/**
 * Sends one request; resolves with what the sandbox received, or the reason it was dropped. Whatever
 * happens, a copy that reaches the sandbox is never empty (the invariant every case checks).
 */
async function mirror(route: 'strict' | 'scan', body: Buffer, contentType: string | undefined): Promise<Seen> {
  const before = candidate.received.length;
  const dropsBefore = await drops(route);
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  const answer = await send(gw.url, { method: 'POST', path: `/v1/${route}/x`, headers, body });
  expect(answer.status).toBe(200);
  expect(live.received.at(-1)!.body.equals(body)).toBe(true);
  let dropped: string | undefined;
  await until(async () => {
    if (candidate.received.length > before && control.received.length >= candidate.received.length) return true;
    const now = await drops(route);
    for (const [reason, n] of now) if (n > (dropsBefore.get(reason) ?? 0)) dropped = reason;
    return dropped !== undefined;
  }, 'the shadow copy or its drop');
  if (dropped !== undefined) {
    expect(candidate.received.length).toBe(before);
    return { kind: 'dropped', reason: dropped };
  }
  const got = candidate.received.at(-1)!;
  // Deny by default: never a stripped copy.
  expect(got.body.length).toBeGreaterThan(0);
  return { kind: 'sent', body: got.body, contentType: got.headers['content-type'] };
}

async function sent(route: 'strict' | 'scan', body: string, contentType: string | undefined): Promise<string> {
  const seen = await mirror(route, Buffer.from(body), contentType);
  if (seen.kind === 'dropped') throw new Error(`the copy was dropped: ${seen.reason}`);
  expect(seen.contentType).toBe(contentType);
  return seen.body.toString('utf8');
}

/** No planted value in the text, however it is written (entities decoded, separators removed). */
function expectClean(out: string, planted: readonly string[]): void {
  const views = [out, decodeHTML(out)];
  for (const view of views) {
    const digits = view.replace(/\D/g, '');
    for (const v of planted) {
      expect(view.toLowerCase()).not.toContain(v.toLowerCase());
      const d = v.replace(/\D/g, '');
      if (d.length >= 9 && /^[\d\s+()-]+$/.test(v)) expect(digits).not.toContain(d);
    }
  }
}

const tags = (s: string) => s.match(/<\/?[A-Za-z][\w:.-]*/g) ?? [];

const HTML = `<!DOCTYPE html><html><head><title>Order</title></head><body>
<p>Write to maria.gonzalez&#64;example.org or m.gonzalez&commat;example.org &mdash; card &#x34;539&#x20;1488&#x20;0343&#x20;6467</p>
<input type="hidden" name="contact" value="maria.gonzalez&#x40;example.org"><p>Call &#43;1 415 555 2671</p></body></html>`;
const SOAP = `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>
<order><customer id="cust-88213" email="${EMAIL}"/><address>${STREET}, London NW1 6XE</address>
<note>VIP since 2019</note><contact><![CDATA[call ${PHONE}]]></contact></order>
</soap:Body></soap:Envelope>`;
const CSV = `name,date_of_birth,email,card\n${NAME},${DOB},${EMAIL},${CARD}\n"Gonzalez, Maria",${DOB},"${EMAIL}",${CARD}\n`;
const BOUNDARY = '----formdata-7d1f';
const MULTIPART = [
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="email"\r\n\r\n${EMAIL}\r\n`,
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n{"user":{"name":"${NAME}","phone":"${PHONE}"}}\r\n`,
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="notes"; filename="${NAME}.txt"\r\nContent-Type: text/plain\r\n\r\nCard ${CARD}, ssn ${SSN}.\r\n`,
  `--${BOUNDARY}--\r\n`,
].join('');
const YAML_BODY = `# submitted by ${EMAIL}\npatient:\n  name: ${NAME}\n  dob: ${DOB}\n  card: ${CARD}\n  phone: "${PHONE}"\n  visits: [2021, 2022]\n`;
const NDJSON = `{"user":{"name":"${NAME}","email":"${EMAIL}"}}\n{"note":"card ${CARD}","ssn":"${SSN}"}\n`;

describe.each(['strict', 'scan'] as const)('every format under the %s policy', (route) => {
  it('HTML: entity-encoded emails (&#64;, &commat;) and card digits (&#x34;) are caught; the markup is kept', async () => {
    const out = await sent(route, HTML, 'text/html; charset=utf-8');
    expectClean(out, [EMAIL, 'm.gonzalez@example.org', CARD, PHONE]);
    expect(tags(out)).toEqual(tags(HTML));
    expect(decodeHTML(out)).toMatch(/[a-z2-7]{10}@[a-z2-7]{8}\.org/);
  });

  it('XML/SOAP: a street in <address>, attributes and CDATA are caught; a field rule on an XML path applies', async () => {
    const out = await sent(route, SOAP, 'application/soap+xml');
    expectClean(out, [EMAIL, STREET, 'Baker', PHONE]);
    expect(tags(out)).toEqual(tags(SOAP));
    if (route === 'strict') {
      expect(out).toContain('<note>&lt;REDACTED&gt;</note>');
      expect(out).toMatch(/<customer id="c_[a-z2-7]{16}"/);
    } else {
      expect(out).toContain('<note>VIP since 2019</note>');
    }
  });

  it('CSV: the date_of_birth column, names, emails and cards are caught; the table keeps its shape', async () => {
    const out = await sent(route, CSV, 'text/csv');
    expectClean(out, [DOB, EMAIL, CARD, NAME]);
    const lines = out.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('name,date_of_birth,email,card');
    expect(lines[1]!.split(',')).toHaveLength(4);
  });

  it('multipart/form-data reaches the sandbox whole: each part by its own type, the filename scanned', async () => {
    const out = await sent(route, MULTIPART, `multipart/form-data; boundary=${BOUNDARY}`);
    expectClean(out, [EMAIL, NAME, PHONE, CARD, SSN, 'Gonzalez']);
    const parts = out.split(`--${BOUNDARY}`);
    expect(parts).toHaveLength(5);
    expect(parts[4]).toBe('--\r\n');
    expect(parts[1]).toMatch(/^\r\nContent-Disposition: form-data; name="email"\r\n\r\n[a-z2-7]{10}@[a-z2-7]{8}\.org\r\n$/);
    const meta = /\r\n\r\n(.*)\r\n$/s.exec(parts[2]!)![1]!;
    expect(JSON.parse(meta)).toMatchObject({ user: { name: expect.any(String), phone: expect.any(String) } });
    expect(parts[3]).toMatch(/filename="[^"]+\.txt"/);
  });

  it('application/yaml reaches the sandbox whole and parses to the same keys', async () => {
    const out = await sent(route, YAML_BODY, 'application/yaml');
    expectClean(out, [EMAIL, NAME, CARD, PHONE, DOB]);
    const doc = parseYaml(out) as { patient: Record<string, unknown> };
    expect(Object.keys(doc.patient)).toEqual(['name', 'dob', 'card', 'phone', 'visits']);
    expect(doc.patient.visits).toEqual([2021, 2022]);
  });

  for (const type of ['application/x-ndjson', 'application/jsonl']) {
    it(`${type} reaches the sandbox whole: one anonymized JSON document per line`, async () => {
      const out = await sent(route, NDJSON, type);
      expectClean(out, [EMAIL, NAME, CARD, SSN]);
      const lines = out.split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[2]).toBe('');
      expect(Object.keys(JSON.parse(lines[0]!).user as object)).toEqual(['name', 'email']);
      expect(Object.keys(JSON.parse(lines[1]!) as object)).toEqual(['note', 'ssn']);
    });
  }

  it('a body with no content type is sniffed: JSON stays JSON, text is scanned', async () => {
    const doc = await sent(route, JSON.stringify({ user: { name: NAME, email: EMAIL } }), undefined);
    expectClean(doc, [EMAIL, NAME]);
    expect(Object.keys((JSON.parse(doc) as { user: object }).user)).toEqual(['name', 'email']);
    const text = await sent(route, `Hello, my name is ${NAME}, write to ${EMAIL} or call ${PHONE}.`, undefined);
    expectClean(text, [EMAIL, NAME, PHONE]);
    expect(text).toMatch(/^Hello, my name is /);
  });

  it('a body no codec reads is dropped and counted, never sent stripped (unknown, binary, malformed)', async () => {
    const cases: [Buffer, string | undefined, string][] = [
      [Buffer.from(`{"email":"${EMAIL}"}`), 'application/x-custom-thing', 'unsupported_body'],
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'image/png', 'unsupported_body'],
      [Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0x00, 0x10]), undefined, 'unsupported_body'],
      [Buffer.from(`<order><address>${STREET}</order>`), 'application/xml', 'malformed_body'],
      [Buffer.from(`{"email":"${EMAIL}",`), 'application/json', 'malformed_body'],
      [Buffer.from(`{"a":1}\n{"email":"${EMAIL}"`), 'application/x-ndjson', 'malformed_body'],
      [Buffer.from(`a,b\n"${EMAIL},1\n`), 'text/csv', 'malformed_body'],
      [Buffer.from(`a: [1, 2\nb: "${EMAIL}`), 'application/yaml', 'malformed_body'],
      [Buffer.from(`--nope\r\nContent-Disposition: form-data; name="a"\r\n\r\n${EMAIL}`), 'multipart/form-data; boundary=nope', 'malformed_body'],
      [Buffer.from(`--b\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\nContent-Type: application/octet-stream\r\n\r\n\u0000${EMAIL}\r\n--b--\r\n`), 'multipart/form-data; boundary=b', 'unsupported_body'],
    ];
    for (const [body, type, reason] of cases) {
      const seen = await mirror(route, body, type);
      expect(seen, `${type ?? 'no content type'}: ${body.toString('latin1').slice(0, 40)}`).toEqual({ kind: 'dropped', reason });
    }
  });

  it('finding 8: a string over maxScanBytes is counted as scan_limit, not no_policy', async () => {
    const seen = await mirror(route, Buffer.from(JSON.stringify({ note: `${'lorem ipsum '.repeat(500)} ${EMAIL}` })), 'application/json');
    expect(seen).toEqual({ kind: 'dropped', reason: 'scan_limit' });
  });
});
