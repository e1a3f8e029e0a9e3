// The error registry (src/errors.ts ERROR_CODES): every code's status comes from one place. A call site
// that passes a status literal must pass the registry's; docs/configuration.md's table lists every code.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ShadowgateError, type ErrorCode } from '../src/errors.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('error registry', () => {
  it('a ShadowgateError takes its status from the registry when none is given', () => {
    expect(new ShadowgateError('SG_ERR_UPSTREAM_BUSY', 'x').status).toBe(503);
    expect(new ShadowgateError('SG_ERR_USAGE', 'x').status).toBe(400);
  });

  it('no call site gives a code a status other than the registry\'s', () => {
    const wrong: string[] = [];
    // new ShadowgateError('SG_ERR_X', <message>, <status literal>
    const call = /new ShadowgateError\(\s*'(SG_ERR_[A-Z_]+)',[\s\S]*?,\s*(\d{1,3})\s*[,)]/g;
    for (const file of files(SRC)) {
      for (const m of readFileSync(file, 'utf8').matchAll(call)) {
        const code = m[1] as ErrorCode;
        if (m[0].split('\n').length > 6) continue; // the lazy match ran past this call: not a literal status
        if (ERROR_CODES[code]?.status !== Number(m[2])) wrong.push(`${file.slice(SRC.length)}: ${code} ${m[2]}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('docs/configuration.md lists every code with its status', () => {
    const readme = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const missing = Object.entries(ERROR_CODES).filter(([code, { status }]) => !readme.includes(`| \`${code}\` | ${status} |`));
    expect(missing.map(([c]) => c)).toEqual([]);
  });
});
