// The command line as a new user meets it: every subcommand's --help exits 0 and names every flag it
// accepts, --version answers, unknown flags are refused, and errors carry one prefix and name the file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const dir = tempDir('sg-help-');
const KEY = 'k'.repeat(43);

/** Each subcommand with the flags its parser accepts: the help text must document every one. */
const FLAGS: Record<string, string[]> = {
  serve: ['--config'],
  'check-config': ['--config'],
  keygen: [],
  anonymize: ['--config', '--policy', '--in', '--out', '--strict'],
  replay: ['--config', '--dataset', '--route', '--rate', '--concurrency', '--out', '--json', '--fail-on'],
  demo: ['--duration', '--keep-running', '--seed', '--rps'],
  canary: ['set', 'clear', 'rollback', 'promote', 'pause', 'resume', 'status', '--json'],
  report: ['--json'],
  ledger: ['verify', 'export-key', 'keygen', '--ledger', '--public-key', '--head', '--config', '--key-file'],
};

function configFile(): string {
  const file = join(dir, `ok-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `
upstreams:
  incumbent: { url: "http://127.0.0.1:9101" }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: incumbent
anonymize:
  key: ${KEY}
  policies:
    default: { fields: { "$.user.email": email } }
`);
  return file;
}

describe('shadowgate --help and --version', () => {
  for (const [command, flags] of Object.entries(FLAGS)) {
    it(`${command} --help exits 0 on stdout and documents ${flags.join(' ') || 'its use'}`, async () => {
      const out = await runCli([command, '--help']);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(new RegExp(`usage: shadowgate ${command}`));
      for (const flag of flags) expect(out.stdout).toContain(flag);
    });
  }

  it('keygen --help prints help, not a key', async () => {
    const out = await runCli(['keygen', '--help']);
    expect(out.stdout).not.toMatch(/^[A-Za-z0-9_-]{43}\n$/);
  });

  it('--version prints the package version', async () => {
    const out = await runCli(['--version']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^shadowgate \d+\.\d+\.\d+\n$/);
  });

  it('a bare shadowgate prints the overview to stderr and exits 2; help exits 0', async () => {
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('usage: shadowgate <command>');
    const help = await runCli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: shadowgate <command>');
  });
});

describe('usage errors and messages', () => {
  it('serve and check-config refuse an unknown flag instead of ignoring it', async () => {
    for (const command of ['serve', 'check-config']) {
      const out = await runCli([command, '--config', configFile(), '--verbose']);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/^shadowgate: .*--verbose/);
    }
  });

  it('check-config counts in words that agree with the number', async () => {
    const out = await runCli(['check-config', '--config', configFile()]);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('(1 route, 1 upstream)');
  });

  it('an unknown policy lists the defined ones, never "none"', async () => {
    const file = join(dir, 'missing-policy.yaml');
    writeFileSync(file, `
upstreams:
  incumbent: { url: "http://127.0.0.1:9101" }
routes:
  - name: predict
    primary: incumbent
    shadow: { targets: [incumbent], policy: missing }
anonymize:
  key: ${KEY}
  policies: {}
`);
    const out = await runCli(['check-config', '--config', file]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('unknown policy "missing" (no policy is defined under anonymize.policies)');
  });

  it('anonymize names a missing input file and exits 1', async () => {
    const missing = join(dir, 'nope.jsonl');
    const out = await runCli(['anonymize', '--config', configFile(), '--policy', 'default', '--in', missing]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`cannot read --in ${missing} (ENOENT)`);
    expect(out.stderr).not.toMatch(/^error:/m);
  });

  it('anonymize fails when the input holds no dataset record at all', async () => {
    const out = await runCli(['anonymize', '--config', configFile(), '--policy', 'default'], { input: '{"hello":"world"}\n[1,2]\n' });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('the input held no dataset record (2 malformed lines');
  });

  it('anonymize refuses an unknown flag with exit 2', async () => {
    const out = await runCli(['anonymize', '--config', configFile(), '--policy', 'default', '--bogus']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^shadowgate: anonymize: /);
  });
});
