// The console's server side: /ui and its two assets are served without a token under a strict CSP
// (no inline script or style anywhere), whoami names the caller, and /admin/datasets counts records.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSchema } from '../../src/config/schema/record.js';
import { buildConsole } from '../../src/console/build.mjs';
import { TOKENS, call, startConsoleFixture, type ConsoleFixture } from './admin-fixture.js';
import { tempDir } from '../helpers/run.js';

let f: ConsoleFixture;
let dataDir: string;
beforeAll(async () => {
  await buildConsole();
  dataDir = tempDir('sg-console-ds-');
  f = await startConsoleFixture(['fraud'], { record: recordSchema.parse({ path: join(dataDir, 'shadow.jsonl') }) });
});
afterAll(async () => f.close());

describe('console assets', () => {
  it('serves /ui, /ui/app.js and /ui/app.css without a token, under a CSP that allows nothing inline or foreign', async () => {
    for (const [path, type] of [['/ui', 'text/html'], ['/ui/', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/app.css', 'text/css']] as const) {
      const res = await fetch(f.url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      await res.arrayBuffer();
    }
  });

  it('the page has no inline script, style or event handler, and loads only its own two files', async () => {
    const html = await (await fetch(`${f.url}/ui`)).text();
    expect(html).not.toMatch(/<style|style=|\son[a-z]+=/i);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[2]!.trim())).toEqual(['']);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(['/ui/app.css', '/ui/app.js']);
  });

  it('other paths under /ui are 404 JSON errors, and the API still needs a token', async () => {
    expect((await call(f.url, 'GET', '/ui/../admin/routes')).status).toBe(401);
    const a = await call(f.url, 'GET', '/ui/secret.txt');
    expect(a.status).toBe(404);
    expect((await call(f.url, 'GET', '/admin/routes')).status).toBe(401);
  });

  it('whoami names the token and its role', async () => {
    expect((await call(f.url, 'GET', '/admin/whoami', { token: TOKENS.viewer })).body).toEqual({ token: 'viewer-token', role: 'viewer' });
    expect((await call(f.url, 'GET', '/admin/whoami', { token: TOKENS.operator })).body).toEqual({ token: 'operator-token', role: 'operator' });
  });
});

describe('GET /admin/datasets', () => {
  it('lists the active and rotated files with their record counts, and drops by reason', async () => {
    writeFileSync(join(dataDir, 'shadow.jsonl'), '{"v":1}\n{"v":1}\n{"v":1}\n');
    writeFileSync(join(dataDir, 'shadow-20260101T000000-000Z.jsonl.gz'), gzipSync('{"v":1}\n{"v":1}\n'));
    writeFileSync(join(dataDir, 'unrelated.txt'), 'not a dataset\n');
    f.metrics.datasetRecordsDropped.inc({ reason: 'queue_full' }, 2);
    f.metrics.shadowDropped.inc({ route: 'fraud', reason: 'overload' }, 5);
    f.metrics.anonymizerLeaksBlocked.inc({ route: 'fraud' }, 1);
    const a = await call(f.url, 'GET', '/admin/datasets', { token: TOKENS.viewer });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      enabled: true,
      files: [
        { name: 'shadow-20260101T000000-000Z.jsonl.gz', compressed: true, records: 2 },
        { name: 'shadow.jsonl', compressed: false, records: 3, bytes: readFileSync(join(dataDir, 'shadow.jsonl')).length },
      ],
      totals: { files: 2, records: 5, uncounted: 0 },
      dropped: { dataset: { queue_full: 2 }, shadow: { overload: 5 }, leaksBlocked: 1 },
    });
  });
});
