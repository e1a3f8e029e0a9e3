#!/usr/bin/env node
// shadowgate's one entry: subcommands serve, check-config, keygen, anonymize, replay, demo, canary,
// report. Each loads only its own room, so `check-config` never opens a socket.
import { createReadStream, createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, ShadowgateError } from '../errors.js';
import { loadConfigFile } from '../config/load.js';

const USAGE = `usage: shadowgate <command> [options]

  serve          --config FILE                 run the proxy (SIGHUP reloads, SIGTERM drains)
  check-config   --config FILE                 validate a configuration; every error with its path
  keygen                                       print a fresh anonymization key
  anonymize      --config FILE --policy NAME [--in F] [--out F] [--strict]
                                               anonymize dataset records (JSONL)
  replay         --config FILE --dataset F... [--route R] [--rate RPS] [--concurrency N]
                 [--out report.json] [--json] [--fail-on marginal|fail]
                                               replay a dataset through the comparison engine
  demo           [--duration 30s] [--keep-running]
                                               the end-to-end demo on embedded models
  canary         set ROUTE PERCENT | rollback ROUTE | promote ROUTE | pause ROUTE | resume ROUTE | status [ROUTE]
  report         [ROUTE] [--json]              the comparison report of a running shadowgate
                 (canary and report read SHADOWGATE_ADMIN_URL and SHADOWGATE_TOKEN)
`;

const io = { stdout: process.stdout, stderr: process.stderr };

function configOption(argv: string[]): { config: string; rest: Record<string, string | boolean | undefined> } {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: false });
  const config = values.config;
  if (typeof config !== 'string') throw new ShadowgateError('SG_ERR_USAGE', '--config FILE is required', 2);
  return { config, rest: values };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve': {
      const { config: file } = configOption(args);
      const config = loadConfigFile(file);
      const { startShadowgate } = await import('../app.js');
      if (config.server.workers > 1) {
        const { serveCluster } = await import('../proxy/cluster.js');
        await serveCluster(config, file);
      } else {
        await startShadowgate(config, { configPath: file, handleSignals: true });
      }
      return -1; // keep running
    }
    case 'check-config': {
      const { config: file } = configOption(args);
      const config = loadConfigFile(file);
      const { createAnonymizer } = await import('../anonymize/index.js');
      const inUse = config.routes.flatMap((r) => (r.shadow?.policy && r.shadow.policy !== 'none' ? [r.shadow.policy] : []));
      createAnonymizer(config.anonymize, inUse);
      io.stdout.write(`${file}: ok (${config.routes.length} route${config.routes.length === 1 ? '' : 's'}, ${Object.keys(config.upstreams).length} upstreams)\n`);
      return 0;
    }
    case 'keygen': {
      const { runKeygen } = await import('./anonymize.js');
      runKeygen(io.stdout);
      return 0;
    }
    case 'anonymize': {
      const { values } = parseArgs({
        args, strict: true,
        options: { config: { type: 'string', short: 'c' }, policy: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, strict: { type: 'boolean', default: false } },
      });
      if (!values.config || !values.policy) throw new ShadowgateError('SG_ERR_USAGE', 'anonymize needs --config FILE and --policy NAME', 2);
      const config = loadConfigFile(values.config);
      const { runAnonymize } = await import('./anonymize.js');
      return runAnonymize({
        config, policy: values.policy, strict: values.strict ?? false, stderr: io.stderr,
        input: values.in ? createReadStream(values.in) : process.stdin,
        output: values.out ? createWriteStream(values.out) : process.stdout,
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
    case 'report': {
      const { runReportCli } = await import('./admin-client.js');
      return runReportCli(args, io);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr.write(`shadowgate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    } else if (err instanceof ShadowgateError) {
      io.stderr.write(`shadowgate: ${err.message} (${err.code})\n`);
      process.exitCode = err.code === 'SG_ERR_USAGE' ? 2 : 1;
    } else {
      io.stderr.write(`shadowgate: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
