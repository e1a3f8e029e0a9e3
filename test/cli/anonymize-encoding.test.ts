// `shadowgate anonymize` keeps binary bodies intact: a base64-encoded request body is decoded before the
// policy sees it and encoded again on the way out (with keepUnknownBodies), never mangled as UTF-8.
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { runAnonymize } from '../../src/cli/anonymize.js';
import { parseConfig } from '../../src/config/load.js';
import { TEST_KEY } from '../helpers/app.js';

it('round-trips a base64 body of a kept binary content type, and reads base64 responses for the leak guard', async () => {
  const config = parseConfig(`
upstreams: { a: { url: "http://127.0.0.1:9101" } }
anonymize:
  key: ${TEST_KEY}
  policies:
    bin: { headers: { keep: [content-type] }, keepUnknownBodies: true }
`);
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0x42]);
  const leaky = Buffer.from('{"echo":"jane.doe@example.com"}').toString('base64');
  const lines = [
    { v: 1, route: 'r', policy: 'raw', request: { method: 'POST', path: '/p', headers: { 'content-type': 'application/octet-stream' }, body: binary.toString('base64'), bodyEncoding: 'base64' }, responses: {} },
    { v: 1, route: 'r', policy: 'raw', request: { method: 'POST', path: '/p', headers: { 'content-type': 'application/octet-stream' }, body: binary.toString('base64'), bodyEncoding: 'base64' },
      responses: { incumbent: { status: 200, latencyMs: 1, body: leaky, bodyEncoding: 'base64' } } },
  ].map((l) => JSON.stringify(l));
  const input = new PassThrough();
  const output = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  output.on('data', (c: Buffer) => out.push(c));
  stderr.resume();
  input.end(lines.join('\n') + '\n');
  const code = await runAnonymize({ config, policy: 'bin', input, output, stderr, strict: false });
  expect(code).toBe(0);
  const written = Buffer.concat(out).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { request: { body: string; bodyEncoding?: string } });
  // The second record's response echoes an email: the guard reads through base64 and drops it.
  expect(written).toHaveLength(1);
  expect(written[0]!.request.bodyEncoding).toBe('base64');
  expect(Buffer.from(written[0]!.request.body, 'base64')).toEqual(binary);
});
