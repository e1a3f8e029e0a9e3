// The README and every page under docs/ as a reader meets them: every relative link resolves to a file
// (and its #anchor to a heading there), every `shadowgate CMD --flag` names a real subcommand and a flag its
// --help documents, every `npm run X` is a script, and the README's first config passes check-config.
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (page: string): string => readFileSync(join(ROOT, page), 'utf8');

/** GitHub's heading anchor: lower case, punctuation but '-' and '_' removed, spaces to '-'. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(page: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of text(page).split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

/** Markdown text outside fenced blocks (links inside code are not links). */
function prose(page: string): string {
  return text(page).split(/^```[^\n]*\n[\s\S]*?^```$/m).join('\n');
}

describe('links in the README and docs/', () => {
  it.each(PAGES)('%s: every relative link and anchor resolves', (page) => {
    const broken: string[] = [];
    for (const m of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const path = file === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), file);
      if (!path.startsWith(ROOT)) { broken.push(`${target}: outside the repository`); continue; }
      if (!existsSync(path)) { broken.push(`${target}: no such file`); continue; }
      if (anchor !== undefined && path.endsWith('.md') && !anchors(path.slice(ROOT.length)).has(anchor)) broken.push(`${target}: no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
  });

  it('no page points outside the repository or at files it does not hold', () => {
    const offenders = PAGES.filter((p) => /\.\.\/shared|DESIGN\.md|STYLE\.md/.test(text(p)));
    expect(offenders).toEqual([]);
  });

  it('the README stays short enough to read in ten minutes', () => {
    expect(text('README.md').split('\n').length).toBeLessThanOrEqual(400);
  });
});

describe('commands in the README and docs/', () => {
  const scripts = Object.keys((JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts);
  const helps = new Map<string, string>();
  async function help(cmd: string): Promise<string> {
    if (!helps.has(cmd)) {
      const out = await runCli([cmd, '--help']);
      helps.set(cmd, out.code === 0 ? out.stdout : '');
    }
    return helps.get(cmd)!;
  }

  it.each(PAGES)('%s: every npm run script exists', (page) => {
    const missing = [...text(page).matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => m[1]!).filter((s) => !scripts.includes(s));
    expect(missing).toEqual([]);
  });

  it.each(PAGES)('%s: every shadowgate subcommand and flag is real', async (page) => {
    const wrong: string[] = [];
    // `shadowgate CMD …` up to the end of a code span or line; placeholders like FILE are not checked.
    for (const m of text(page).matchAll(/(?:npx )?shadowgate ([a-z][a-z-]*)((?: [^`\n|]*)?)/g)) {
      const cmd = m[1]!;
      if (['demo', 'serve', 'check-config', 'keygen', 'anonymize', 'replay', 'canary', 'report', 'ledger', 'experiment'].includes(cmd) === false) {
        // prose such as "shadowgate does" or "shadowgate is": only flag words that look like a command line
        if (/--[a-z]/.test(m[2] ?? '')) wrong.push(`unknown subcommand in "${m[0]}"`);
        continue;
      }
      const usage = await help(cmd);
      if (usage === '') { wrong.push(`${cmd} --help failed`); continue; }
      for (const f of (m[2] ?? '').matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)) {
        if (f[1] === '--help') continue;
        if (!usage.includes(f[1]!)) wrong.push(`${cmd} ${f[1]!} (in "${m[0].trim()}")`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe("the README's first config", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-readme-first-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes check-config as printed', async () => {
    const readme = text('README.md');
    const section = readme.slice(readme.indexOf('## Your first config'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const file = join(dir, 'shadowgate.yaml');
    writeFileSync(file, yaml!);
    const out = await runCli(['check-config', '--config', file], {
      env: { SHADOWGATE_KEY: 'k'.repeat(43), ADMIN_TOKEN_SHA256: 'a'.repeat(64) },
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
  });
});
