// `shadowgate anonymize` over in-memory streams: records are anonymized with the new policy id, malformed
// lines are reported by number and skipped (or stop the run with --strict), leaking responses are dropped.
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { runAnonymize, runKeygen } from '../../src/cli/anonymize.js';
import { parseConfig } from '../../src/config/load.js';
import { TEST_KEY } from './helpers.js';

const config = parseConfig(`
upstreams: { incumbent: { url: "http://127.0.0.1:9101" } }
anonymize:
  key: ${TEST_KEY}
  policies:
    default:
      headers: { keep: [content-type] }
      fields: { "$.user.email": email }
`);

function record(body: unknown, responseBody = '{"score":0.5}'): string {
  return JSON.stringify({
    v: 1, ts: 1, route: 'predict', policy: 'raw',
    request: { method: 'POST', path: '/v1/predict?uid=42', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: JSON.stringify(body) },
    responses: { incumbent: { status: 200, latencyMs: 3, body: responseBody } },
  });
}

/** In-memory input, output and stderr, with the text written to the last two. */
function streams() {
  const input = new PassThrough();
  const output = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  output.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  return { input, output, stderr, out: () => Buffer.concat(out).toString('utf8'), err: () => Buffer.concat(err).toString('utf8') };
}

async function run(lines: string[], strict = false) {
  const s = streams();
  s.input.end(lines.join('\n'));
  const code = await runAnonymize({ config, policy: 'default', input: s.input, output: s.output, stderr: s.stderr, strict });
  return { code, out: s.out(), err: s.err() };
}

describe('shadowgate anonymize', () => {
  test('anonymizes each record, stamps the policy id and counts entities', async () => {
    const { code, out, err } = await run([record({ user: { email: 'jane@acme.io' }, note: 'call 415-555-0132' })]);
    expect(code).toBe(0);
    const rec = JSON.parse(out.trim());
    expect(rec.policy).toMatch(/^default@[0-9a-f]{12}$/);
    expect(rec.request.headers).toEqual({ 'content-type': 'application/json' });
    expect(out).not.toContain('jane@acme.io');
    expect(out).not.toContain('415-555-0132');
    expect(rec.responses.incumbent.status).toBe(200);
    expect(err).toContain('replacements: email=1 id=1 phone=1');
  });

  test('a malformed line is reported with its number and skipped; the rest is not lost', async () => {
    const { code, out, err } = await run([record({ a: 1 }), '{not json', '{"v":2}', record({ b: 2 })]);
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(2);
    expect(err).toContain('line 2: malformed record (not valid JSON)');
    expect(err).toContain('line 3: malformed record');
    expect(err).toContain('malformed 2');
  });

  test('--strict stops at the first malformed line with exit code 2', async () => {
    const { code, out, err } = await run([record({ a: 1 }), 'oops', record({ b: 2 })], true);
    expect(code).toBe(2);
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('line 2: malformed record');
  });

  test('a record whose response leaks personal data is dropped and counted', async () => {
    const { out, err } = await run([record({ a: 1 }, '{"answer":"mail bob@acme.io"}'), record({ a: 2 })]);
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('line 1: record dropped (response_leak:incumbent)');
    expect(err).toContain('dropped 1 (response_leak: 1)');
  });

  test('an unknown policy is a clear error', async () => {
    const s = streams();
    const code = await runAnonymize({ config, policy: 'nope', input: s.input, output: s.output, stderr: s.stderr, strict: false });
    expect(code).toBe(2);
    expect(s.err()).toContain('"nope"');
  });

  test('an input that fails midway is reported with its error code, and the records before it are kept', async () => {
    const s = streams();
    s.input.write(`${record({ a: 1 })}\n`);
    const running = runAnonymize({ config, policy: 'default', input: s.input, output: s.output, stderr: s.stderr, strict: false });
    s.output.once('data', () => s.input.destroy(Object.assign(new Error('gone'), { code: 'ENOENT' })));
    expect(await running).toBe(1);
    expect(s.err()).toContain('cannot read or write records (ENOENT)');
    expect(s.out().trim().split('\n')).toHaveLength(1);
  });

  test('keygen prints a fresh 32-byte key', () => {
    const out = new PassThrough();
    runKeygen(out);
    expect(Buffer.from(String(out.read()).trim(), 'base64url')).toHaveLength(32);
  });
});
