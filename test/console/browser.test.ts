// The operator console in a real browser (Debian's chromium driven by playwright-core, never a
// downloaded one) against the real demo kept running: sign in by keyboard, the demo's verdict and its
// reasons, an operator's weight change and a confirmed rollback taking effect on live traffic, a viewer
// without controls, the datasets page; a screenshot of each page goes to test-artifacts/console/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { sha256Hex } from '../../src/admin/auth.js';
import { buildConsole } from '../../src/console/build.mjs';
import { createTrafficGenerator } from '../../src/demo/traffic.js';
import { demoConfigPath, runDemo } from '../../src/demo/run.js';
import { DEMO_LEAD_TOKEN } from '../../src/demo/experiment.js';
import { hasBinary, skipNote } from '../helpers/binaries.js';
import { tempDir } from '../helpers/run.js';

const CHROMIUM = '/usr/bin/chromium';
const present = hasBinary(CHROMIUM);
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const OPERATOR = 'console-test-operator-token';
const VIEWER = 'console-test-viewer-token';
const SEED = 15;
/** 3 s of demo traffic keeps the test short; the README's screenshots were taken with SG_CONSOLE_DEMO_MS=12000. */
const DEMO_MS = Number(process.env.SG_CONSOLE_DEMO_MS ?? 3000);

let dir: string;
let context: BrowserContext | undefined;
let stopDemo: AbortController;
let demoDone: Promise<number> | undefined;
let demo: { consoleUrl: string; token: string; proxyUrl: string; adminUrl: string };
const problems: string[] = [];

/** The demo's configuration with an operator and a viewer token added beside its admin token. */
function configWithTokens(): string {
  const text = readFileSync(demoConfigPath(), 'utf8');
  const line = /^( *)- \{ name: demo, role: admin, sha256: [0-9a-f]{64} \}$/m;
  expect(text).toMatch(line);
  return text.replace(line, (m, indent: string) => `${m}\n${indent}- { name: ops, role: operator, sha256: ${sha256Hex(OPERATOR)} }\n${indent}- { name: watcher, role: viewer, sha256: ${sha256Hex(VIEWER)} }`);
}

async function adminJson<T>(path: string): Promise<T> {
  const res = await request(`${demo.adminUrl}${path}`, { headers: { authorization: `Bearer ${demo.token}` }, headersTimeout: 5000, bodyTimeout: 5000 });
  return (await res.body.json()) as T;
}

/** Live requests through the proxy, each from another user: which model answered each. */
async function liveModels(n: number): Promise<Record<string, number>> {
  const gen = createTrafficGenerator(SEED + 1);
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await request(demo.proxyUrl, {
      method: 'POST', body: JSON.stringify(gen.next()), headersTimeout: 5000, bodyTimeout: 5000,
      headers: { 'content-type': 'application/json', 'x-user-id': `console-user-${i}` },
    });
    const body = (await res.body.json()) as { model?: string };
    const model = `${res.statusCode} ${body.model ?? '?'}`;
    seen[model] = (seen[model] ?? 0) + 1;
  }
  return seen;
}

async function openConsole(token: string, hash = ''): Promise<Page> {
  const page = await context!.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  await page.goto(demo.consoleUrl + hash);
  // Keyboard only: the token field has the focus, Enter submits.
  await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('token');
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByText(/^Signed in as /).waitFor();
  return page;
}

function skipped(ctx: TestContext): boolean {
  if (present) return false;
  ctx.skip(skipNote('chromium', 'the console in a real browser'));
  return true;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!present) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = tempDir('sg-console-browser-');
  await buildConsole();
  const configPath = join(dir, 'demo.yaml');
  writeFileSync(configPath, configWithTokens());
  stopDemo = new AbortController();
  const out = new PassThrough();
  let text = '';
  const ready = new Promise<void>((resolve, reject) => {
    out.setEncoding('utf8').on('data', (s: string) => {
      text += s;
      const consoleLine = /^ {2}console (http:\/\/\S+\/ui) {2}token (\S+)$/m.exec(text);
      const proxyLine = /still running \(Ctrl-C to stop\): proxy (http:\/\/\S+)/.exec(text);
      if (consoleLine && proxyLine) {
        demo = { consoleUrl: consoleLine[1]!, token: consoleLine[2]!, proxyUrl: proxyLine[1]!, adminUrl: consoleLine[1]!.replace(/\/ui$/, '') };
        resolve();
      }
    });
    demoDone = runDemo({ durationMs: DEMO_MS, keepRunning: true, out, seed: SEED, rps: 200, dataDir: join(dir, 'data'), models: 'inline', configPath, signal: stopDemo.signal, experiment: false });
    void demoDone.then((code) => reject(new Error(`the demo ended (${code}) before printing the console:\n${text}`)));
  });
  await ready;
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 860 },
  });
});

afterAll(async () => {
  await context?.close();
  stopDemo?.abort();
  await demoDone;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('operator console in chromium', () => {
  it('a wrong token is refused on the sign-in page', async (ctx) => {
    if (skipped(ctx)) return;
    const page = await context!.newPage();
    await page.goto(demo.consoleUrl);
    await page.getByLabel('Admin API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('That token was not accepted.');
    await shot(page, 'sign-in');
    await page.close();
  });

  it("shows the demo's verdict and its reasons on the route's comparison page", async (ctx) => {
    if (skipped(ctx)) return;
    const page = await openConsole(demo.token, '#/route/fraud');
    const report = await adminJson<{ verdict: string; window: { checks?: { metric: string }[]; reasons: { metric: string }[] } }>('/admin/report?route=fraud');
    // Every check the verdict ran (reports before `checks` existed listed them as reasons).
    const checks = report.window.checks ?? report.window.reasons;
    expect(checks.length).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.verdict').getAttribute('data-verdict')).toBe(report.verdict);
    const reasons = await page.locator('ul.reasons > li strong').allTextContents();
    expect(reasons).toEqual(checks.map((r) => r.metric));
    // The percentile curves are drawn (uPlot's canvas) and the field table is there.
    await page.locator('section[aria-labelledby="latency-title"] canvas').first().waitFor();
    await expect.poll(() => page.locator('table.fields tbody tr').count()).toBeGreaterThan(0);
    await page.locator('table.side-by-side').first().waitFor();
    // Issue 21: the verdict list opens on the server's per-bucket history (not empty until a verdict
    // changes), and the copies dropped before comparison are stated by reason ("none" when none).
    expect(await page.locator('ol.history li').count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator('p.dropped').textContent()).toMatch(/^Shadow copies dropped before comparison \(since start\): /);
    await shot(page, 'comparison');
    // The token lives in this tab's session storage only; nothing is a cookie.
    expect(await page.evaluate('sessionStorage.getItem("shadowgate.console.token")')).toBe(demo.token);
    expect(await context!.cookies()).toEqual([]);
    await page.close();
  });

  it('an operator sets the weight and rolls back (after confirming), and live traffic follows each', async (ctx) => {
    if (skipped(ctx)) return;
    const page = await openConsole(OPERATOR);
    const row = page.locator('tr[data-route="fraud"]');
    await row.getByLabel('Weight %').fill('100');
    await row.getByRole('button', { name: 'Set weight' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/^fraud: weight set to 100% done: weight [\d.]+% → 100%/);
    await expect.poll(() => row.locator('.weight-value').textContent()).toMatch(/^100%/);
    expect(await liveModels(30)).toEqual({ '200 fraud-v2': 30 });

    // Roll back asks first; Cancel changes nothing.
    await row.getByRole('button', { name: 'Roll back… fraud' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.getByRole('heading').textContent()).toBe('Roll back fraud?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await liveModels(10)).toEqual({ '200 fraud-v2': 10 });
    await row.getByRole('button', { name: 'Roll back… fraud' }).click();
    await shot(page, 'rollback-confirmation');
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => row.locator('.badge').first().textContent()).toBe('rolled_back');
    expect(await liveModels(30)).toEqual({ '200 fraud-v1': 30 });
    await expect.poll(() => row.locator('td').nth(4).textContent()).toMatch(/^manual rollback by ops at /);
    await shot(page, 'routes-operator');
    await page.close();
  });

  it('a viewer sees the routes but no control', async (ctx) => {
    if (skipped(ctx)) return;
    const page = await openConsole(VIEWER);
    await page.locator('tr[data-route="fraud"]').waitFor();
    expect(await page.getByText('Signed in as watcher (viewer)').count()).toBe(1);
    expect(await page.locator('main button, main input, main form').count()).toBe(0);
    expect(await page.locator('main th', { hasText: 'Actions' }).count()).toBe(0);
    await shot(page, 'routes-viewer');
    await page.close();
  });

  it('lists the dataset files with their record counts and the drops by reason', async (ctx) => {
    if (skipped(ctx)) return;
    const page = await openConsole(demo.token, '#/datasets');
    const first = page.locator('table.files tbody tr').first();
    await first.waitFor();
    expect(await first.locator('th').textContent()).toMatch(/^shadow.*\.jsonl/);
    expect(Number(await first.locator('td').first().textContent())).toBeGreaterThan(0);
    expect(await page.locator('table.drops').count()).toBe(2);
    await shot(page, 'datasets');
    await page.close();
  });

  it('lists experiments with their state, hypothesis and criteria one by one, and renders quality and slices sections as tables', async (ctx) => {
    if (skipped(ctx)) return;
    // Two experiments on the chat route through the admin API: one concluded (four eyes: the demo's approver), one proposed.
    const call = async (path: string, token: string, body?: unknown) => {
      const res = await request(`${demo.adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), headersTimeout: 5000, bodyTimeout: 5000 });
      const json = await res.body.json();
      expect(res.statusCode, JSON.stringify(json)).toBeLessThan(300);
      return json as { experiment: { conclusion?: { criteria: { status: string; value: number | null }[] } } };
    };
    const terms = { route: 'chat', owner: 'llm-team', privacyRiskAssessment: 'PRA-9', rollbackPlan: 'weight 0' };
    await call('/admin/experiments', OPERATOR, { ...terms, id: 'chat-v2', hypothesis: 'chat-v2 answers sooner', criteria: [{ metric: 'stream ttft ratio', comparator: '<=', threshold: 5 }, { metric: 'disagreement', comparator: '<=', threshold: 0.05 }] });
    await call('/admin/experiments/chat-v2/approve', DEMO_LEAD_TOKEN);
    await call('/admin/experiments/chat-v2/start', OPERATOR);
    const concluded = await call('/admin/experiments/chat-v2/conclude', OPERATOR);
    await call('/admin/experiments', OPERATOR, { ...terms, id: 'chat-v3', hypothesis: 'chat-v3 writes alike', criteria: [{ metric: 'agreement', comparator: '>=', threshold: 0.9 }] });
    // The quality and slices sections come from other builds: here the real analysis answer gets them added on its way to the page.
    const page = await context!.newPage();
    await page.route('**/admin/analysis/chat', async (route) => {
      const response = await route.fetch();
      const json = { ...(await response.json() as object), quality: { inputs: [{ field: '$.amount', check: 'range', status: 'drifted', wasserstein: 0.31 }], reference: 'first 1000 requests' }, slices: [{ segment: 'country=FR', agreement: 0.91, n: 812, flagged: true }, { segment: 'other', agreement: 0.99, n: 4000, flagged: false }] };
      await route.fulfill({ response, json });
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    await page.goto(`${demo.consoleUrl}#/experiments`);
    await page.getByLabel('Admin API token').fill(demo.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const rows = page.locator('table.experiments tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.locator('th').allTextContents()).toEqual(['chat-v3', 'chat-v2']);
    const v2 = page.locator('section[data-experiment="chat-v2"]');
    // Each section fills in as its analysis arrives (a fetch per route): wait for it, not for a quiet machine.
    await v2.locator('table[data-section="slices"] tbody tr').first().waitFor({ timeout: 30_000 });
    await v2.locator('table.criteria tbody tr').nth(1).waitFor({ timeout: 30_000 });
    expect(await v2.locator('h2').textContent()).toMatch(/^chat-v2 concluded (pass|fail|inconclusive)$/);
    expect(await v2.locator('.hypothesis').textContent()).toBe('Hypothesis: chat-v2 answers sooner');
    // Each criterion with its status word and its numbers, as the conclusion recorded them.
    const criteria = v2.locator('table.criteria tbody tr');
    expect(await criteria.count()).toBe(2);
    const recorded = concluded.experiment.conclusion!.criteria;
    const words: Record<string, string> = { pass: 'met', fail: 'not met', pending: 'pending' };
    for (let i = 0; i < 2; i++) {
      expect(await criteria.nth(i).locator('td').first().textContent()).toBe(words[recorded[i]!.status]);
      expect(await criteria.nth(i).locator('td').nth(1).textContent()).toBe(recorded[i]!.value === null ? '–' : String(Number(recorded[i]!.value!.toPrecision(4))));
    }
    expect(await criteria.first().locator('th').textContent()).toBe('stream ttft ratio <= 5');
    expect(await v2.locator('p.sample').textContent()).toMatch(/^At its conclusion: \d+ compared exchanges/);
    const v3 = page.locator('section[data-experiment="chat-v3"]');
    await v3.locator('table.criteria tbody tr td').first().waitFor({ timeout: 30_000 });
    expect(await v3.locator('h2').textContent()).toBe('chat-v3 proposed');
    expect(await v3.locator('table.criteria tbody tr td').first().textContent()).toBe('pending');
    // The added sections, as tables: slices one row per segment, quality's list as its own table.
    const slices = v2.locator('table[data-section="slices"]');
    expect(await slices.locator('thead th').allTextContents()).toEqual(['segment', 'agreement', 'n', 'flagged']);
    expect(await slices.locator('tbody tr').first().textContent()).toBe('country=FR0.91812true');
    expect(await v2.locator('table[data-section="quality: inputs"] tbody tr td').allTextContents()).toEqual(['range', 'drifted', '0.31']);
    expect(await v2.locator('[data-section="quality"] table caption').first().textContent()).toBe('quality');
    await shot(page, 'experiments');
    await page.close();
  });

  it('no page logged an error or a CSP violation', (ctx) => {
    if (skipped(ctx)) return;
    expect(problems).toEqual([]);
  });
});
