// `shadowgate serve` reports an invalid configuration exactly as `check-config` does: every problem at
// `file:line:column` with "did you mean" for an unknown key, the root cause first, then the count (it
// printed the older `path (line N)` form before). The CLI runs from dist/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

it('serve prints a bad configuration\'s problems in check-config\'s file:line:col + did-you-mean form, and exits 1 without serving', async () => {
  const file = join(tempDir('sg-serve-config-'), 'bad.yaml');
  writeFileSync(file, [
    'upstreams:',
    '  incumbent: { url: "http://127.0.0.1:9001" }',
    'routes:',
    '  - name: predict',
    '    match: { pathPrefix: /v1/predict }',
    '    primery: incumbent',
    '',
  ].join('\n'));
  const checked = await runCli(['check-config', '--config', file]);
  const served = await runCli(['serve', '--config', file]);
  expect(checked.code).toBe(1);
  expect(served.code).toBe(1);
  expect(served.stderr).toBe(checked.stderr);
  expect(served.stderr).toBe(`${file}:6:5: routes[0].primery: unknown key (did you mean "primary"? "primary" is required and missing)\n${file}: invalid configuration (1 problem)\n`);
  // The short flag and the = form name the file too.
  expect((await runCli(['serve', `--config=${file}`])).stderr).toBe(checked.stderr);
  expect((await runCli(['serve', '-c', file])).stderr).toBe(checked.stderr);
});
