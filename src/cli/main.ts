#!/usr/bin/env node
// shadowgate's one entry: subcommands serve, check-config, keygen, anonymize, replay, demo, canary,
// report, ledger. Each loads only its own room, so `check-config` never opens a socket, and `--version` and
// `--help` load nothing but this file and the help text (the configuration's schema, zod and yaml are
// imported by the commands that read a configuration).
import { parseArgs } from 'node:util';
import { ConfigError, ShadowgateError } from '../errors.js';
import { closest } from '../config/did-you-mean.js';
import { flagProblem } from './flags.js';
import { COMMAND_HELP, OVERVIEW, version, wantsHelp } from './help.js';

const io = { stdout: process.stdout, stderr: process.stderr };

/** The flags of serve and check-config: --config only; anything else is a usage error, never ignored. */
function configOption(command: string, argv: string[]): string {
  let values: { config?: string | boolean | undefined };
  let positionals: string[];
  const options = { config: { type: 'string', short: 'c' } } as const;
  try {
    ({ values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true }));
  } catch (err) {
    throw usageError(command, flagProblem(err, options));
  }
  if (positionals.length > 0) throw usageError(command, `unexpected argument "${positionals[0]!}"`);
  if (typeof values.config !== 'string') throw usageError(command, '--config FILE is required');
  return values.config;
}

function usageError(command: string, message: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_USAGE', `${command}: ${message}`, 400);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const help = command !== undefined ? COMMAND_HELP[command] : undefined;
  if (help !== undefined && wantsHelp(args)) {
    io.stdout.write(help);
    return 0;
  }
  switch (command) {
    case 'serve': {
      const file = configOption('serve', args);
      const config = (await import('../config/load.js')).loadConfigFile(file);
      if (gateRefused(file, (await import('../app/start-gate.js')).startGate(config))) return 2;
      const { startShadowgate } = await import('../app/app.js');
      if (config.server.workers > 1) {
        const { serveCluster } = await import('../app/primary.js');
        await serveCluster(config, file);
      } else {
        await startShadowgate(config, { configPath: file, handleSignals: true });
      }
      return -1; // keep running
    }
    case 'check-config': {
      const file = configOption('check-config', args);
      let config;
      try {
        config = (await import('../config/load.js')).loadConfigFile(file);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        io.stderr.write(configErrorText(err, file));
        return 1;
      }
      const { createAnonymizer } = await import('../anonymize/index.js');
      const inUse = config.routes.flatMap((r) => (r.shadow?.policy && r.shadow.policy !== 'none' ? [r.shadow.policy] : []));
      createAnonymizer(config.anonymize, inUse);
      if (gateRefused(file, (await import('../app/start-gate.js')).startGate(config))) return 2;
      // quality.reference.dataset: each file verified against its manifest and read, as serve does at start.
      const { checkQualityReferences } = await import('../app/quality-reference.js');
      const refused = await checkQualityReferences(config);
      if (refused.length > 0) {
        io.stderr.write(`${refused.map((r) => `${file}: ${r}`).join('\n')}\n${file}: invalid configuration (${plural(refused.length, 'problem')})\n`);
        return 1;
      }
      io.stdout.write(`${file}: ok (${plural(config.routes.length, 'route')}, ${plural(Object.keys(config.upstreams).length, 'upstream')})\n`);
      return 0;
    }
    case 'keygen': {
      if (args.length > 0) throw usageError('keygen', `unexpected argument "${args[0]!}"`);
      const { runKeygen } = await import('./anonymize.js');
      runKeygen(io.stdout);
      return 0;
    }
    case 'anonymize': {
      let values: { config?: string; policy?: string; in?: string; out?: string; strict?: boolean };
      const options = { config: { type: 'string', short: 'c' }, policy: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, strict: { type: 'boolean', default: false } } as const;
      try {
        ({ values } = parseArgs({ args, strict: true, options }));
      } catch (err) {
        throw usageError('anonymize', flagProblem(err, options));
      }
      if (!values.config || !values.policy) throw usageError('anonymize', '--config FILE and --policy NAME are required');
      const config = (await import('../config/load.js')).loadConfigFile(values.config);
      const { runAnonymize, openInput, openOutput } = await import('./anonymize.js');
      return runAnonymize({
        config, policy: values.policy, strict: values.strict ?? false, stderr: io.stderr,
        input: values.in ? await openInput(values.in) : process.stdin,
        output: values.out ? await openOutput(values.out) : process.stdout,
      });
    }
    case 'replay': {
      const { runReplayCli } = await import('./replay.js');
      return runReplayCli(args, io);
    }
    case 'demo': {
      const { runDemo, parseDemoArgs } = await import('../demo/run.js');
      return runDemo({ ...parseDemoArgs(args), out: io.stdout });
    }
    case 'canary': {
      const { runCanaryCli } = await import('./admin-client.js');
      return runCanaryCli(args, io);
    }
    case 'ledger': {
      const { runLedgerCli } = await import('./ledger.js');
      return runLedgerCli(args, io);
    }
    case 'experiment': {
      const { runExperimentCli } = await import('./experiment.js');
      return runExperimentCli(args, io);
    }
    case 'report': {
      const { runReportCli } = await import('./admin-client.js');
      return runReportCli(args, io);
    }
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(OVERVIEW);
      return 0;
    case '--version':
    case '-V':
    case 'version':
      io.stdout.write(`shadowgate ${version()}\n`);
      return 0;
    case undefined:
      io.stderr.write(OVERVIEW);
      return 2;
    default: {
      const guess = closest(command, Object.keys(COMMAND_HELP));
      io.stderr.write(`shadowgate: unknown command "${command}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ''}\n\n${OVERVIEW}`);
      return 2;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      // serve, anonymize and every other command that reads a configuration report as check-config does.
      io.stderr.write(configErrorText(err, configFileOf(process.argv.slice(3))));
      process.exitCode = 1;
    } else if (err instanceof ShadowgateError && err.code === 'SG_ERR_USAGE') {
      io.stderr.write(`shadowgate: ${err.message}\n(shadowgate ${process.argv[2] ?? ''} --help lists the flags)\n`);
      process.exitCode = 2;
    } else if (err instanceof ShadowgateError) {
      io.stderr.write(`shadowgate: ${err.message} (${err.code})\n`);
      process.exitCode = 1;
    } else {
      io.stderr.write(`shadowgate: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);

/**
 * A configuration's problems as a compiler reports them (`check-config`'s form, for every command): one
 * `file:line:column: path: problem` per line, the root cause first, then the count.
 */
function configErrorText(err: ConfigError, file: string | undefined): string {
  return `${err.located.join('\n')}\n${file ?? 'configuration'}: invalid configuration (${plural(err.located.length, 'problem')})\n`;
}

/** The experiment gate's refusals of a starting configuration (`file: path: problem`, then the count): true when refused. */
function gateRefused(file: string, refused: readonly string[]): boolean {
  if (refused.length === 0) return false;
  io.stderr.write(`${refused.map((r) => `${file}: ${r}`).join('\n')}\n${file}: the experiment gate refuses to start with this configuration (${plural(refused.length, 'problem')}) (SG_ERR_EXPERIMENT_GATE)\n`);
  return true;
}

/** The --config (-c) value of a command line, for the error report's last line. */
function configFileOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config' || a === '-c') return args[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  return undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
