// The command line's words: one usage text per subcommand (every flag documented), the overview, and
// the version. `shadowgate CMD --help` prints CMD's text and exits 0; a usage error prints it to stderr.
export { packageVersion as version } from '../version.js';

export const OVERVIEW = `usage: shadowgate <command> [options]      (shadowgate <command> --help for its flags)

  serve          run the proxy (SIGHUP reloads, SIGTERM drains)
  check-config   validate a configuration; every error with its path in the file
  keygen         print a fresh anonymization key
  anonymize      anonymize dataset records (JSONL) with a policy
  replay         replay recorded datasets through the comparison engine (a CI gate)
  demo           the end-to-end demo on embedded models
  canary         steer a running shadowgate's canary (set, clear, rollback, promote, pause, resume, status)
  report         the comparison report of a running shadowgate
  ledger         verify the signed lineage ledger; export its public key; make a key
  experiment     reproduce a concluded experiment from its ledger entry (same verdict, or the diff)

  --version      print the version
  --help         print this text
`;

const SERVE = `usage: shadowgate serve --config FILE

  -c, --config FILE   the YAML configuration (\${ENV} interpolated); SIGHUP or POST /admin/reload re-reads it
  -h, --help          print this text

SIGTERM/SIGINT drain: readiness fails, live requests in flight finish (server.drainTimeout), then exit 0.
exit status: 1 invalid configuration or a port that cannot be bound, 2 usage error
`;

const CHECK_CONFIG = `usage: shadowgate check-config --config FILE

  -c, --config FILE   the YAML configuration to validate (policies compiled, references checked);
                      opens no socket
  -h, --help          print this text

exit status: 0 valid, 1 invalid (every problem printed with its path and line), 2 usage error
`;

const KEYGEN = `usage: shadowgate keygen

  prints a fresh random anonymization key (base64url, 256 bits) for anonymize.key / SHADOWGATE_KEY
  -h, --help          print this text
`;

const ANONYMIZE = `usage: shadowgate anonymize --config FILE --policy NAME [--in FILE] [--out FILE] [--strict]

  -c, --config FILE   the configuration holding anonymize.key and the policy
  --policy NAME       the policy to apply (anonymize.policies.NAME)
  --in FILE           dataset records (JSONL) to read (default: standard input)
  --out FILE          where to write anonymized records (default: standard output)
  --strict            stop at the first malformed line (exit 2) instead of skipping it
  -h, --help          print this text

Records whose sandbox responses still look personal are dropped and counted; totals go to stderr.
exit status: 0 done, 1 unreadable input, unwritable output or no record in the input, 2 usage error
`;

const DEMO = `usage: shadowgate demo [--duration 30s] [--keep-running] [--seed N] [--rps N]

  --duration D        how long the demo traffic runs (1s to 1h, default 30s)
  --keep-running      leave the proxy, the admin API and the models up afterwards (Ctrl-C stops them)
  --seed N            seed of the traffic generator and the models (default: fixed, so runs repeat)
  --rps N             offered requests per second (default: the demo's own rate)
  -h, --help          print this text

exit status: 0 the demo ran and its checks held, 1 a check failed, 2 usage error
`;

const LEDGER = `usage: shadowgate ledger verify --ledger FILE [--public-key FILE]... [--head FILE]
       shadowgate ledger export --redis URL [--prefix P] --out FILE
       shadowgate ledger export-key (--config FILE | --key-file FILE)
       shadowgate ledger keygen

  verify              checks every entry: canonical JSON, seq order, the hash chain, the signatures,
                      and the head file (FILE.head) against the last entry
    -l, --ledger FILE   the ledger (JSONL) to check
    --public-key FILE   a PEM public key (repeat for rotated keys); without one, signatures are not checked
    --head FILE         the head file (default FILE.head; a missing default head is a note, not a failure)
  export              writes the fleet's ledger stream (ledger.stream: redis) to FILE and its head to FILE.head
    --redis URL         the fleet's Redis (state.redis.url)
    --prefix P          its key prefix (state.redis.keyPrefix, default shadowgate:)
    -o, --out FILE      where to write the ledger (then: shadowgate ledger verify --ledger FILE)
  export-key          prints the PEM public key of the ledger's private key (its key id on stderr)
    -c, --config FILE   take the key from the configuration's ledger.key / ledger.keyFile
    --key-file FILE     take the key from this file (PEM, or a base64 32-byte seed)
  keygen              prints a fresh Ed25519 private key (PEM) for ledger.keyFile
  -h, --help          print this text

exit status: 0 intact (or done), 1 verification failed (the first bad line is named) or a key/file
error, 2 usage error
`;

/** Commands whose own parser prints their help (replay, canary, report) are not listed here. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  serve: SERVE, 'check-config': CHECK_CONFIG, keygen: KEYGEN, anonymize: ANONYMIZE, demo: DEMO, ledger: LEDGER,
};

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
