// `shadowgate ledger verify|export-key|keygen`: checks a lineage ledger's chain and signatures, prints
// the public key that verifies it, or a fresh private key.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { ShadowgateError } from '../errors.js';
import { exportPublicKey, generatePrivateKeyPem, ledgerError, loadPrivateKey, parsePublicKey, signerOf } from '../ledger/keys.js';
import { headPath } from '../ledger/ledger.js';
import { verifyLedger } from '../ledger/verify.js';

export interface LedgerIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

function usage(message: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_USAGE', `ledger: ${message}`, 400);
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>): Values {
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) throw usage(`unexpected argument "${positionals[0]!}"`);
    return values;
  } catch (err) {
    if (err instanceof ShadowgateError) throw err;
    throw usage((err as Error).message);
  }
}

/** state.redis.keyPrefix's default. */
export const DEFAULT_PREFIX = 'shadowgate:';

/**
 * The fleet's ledger stream (`ledger.stream: redis`) as a ledger file's text and its head's, read from
 * Redis at `url` (ioredis loaded here, not at import). Throws SG_ERR_LEDGER when Redis cannot be reached.
 */
export async function readLedgerStream(url: string, prefix: string): Promise<{ text: string; head: string | undefined; entries: number }> {
  const { Redis } = await import('ioredis');
  const { exportStream } = await import('../ledger/stream.js');
  const conn = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  conn.on('error', () => undefined);
  try {
    await conn.connect().catch((err: unknown) => {
      throw ledgerError(`cannot reach ${url}: ${(err as Error).message}`, err);
    });
    return await exportStream(conn, prefix);
  } finally {
    conn.disconnect();
  }
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw ledgerError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, err);
  }
}

export async function runLedgerCli(argv: string[], io: LedgerIo): Promise<number> {
  const [sub, ...args] = argv;
  switch (sub) {
    case 'verify': {
      const v = parse(args, { ledger: { type: 'string', short: 'l' }, 'public-key': { type: 'string', multiple: true }, head: { type: 'string' } });
      if (typeof v.ledger !== 'string') throw usage('verify: --ledger FILE is required');
      const keys = (v['public-key'] ?? []) as string[];
      const verifiers = await Promise.all(keys.map(async (k) => parsePublicKey(await readText(k, 'public key'), k)));
      const text = await readText(v.ledger, 'ledger');
      const headFile = typeof v.head === 'string' ? v.head : headPath(v.ledger);
      const head = await readFile(headFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' && typeof v.head !== 'string') return undefined;
        throw ledgerError(`cannot read head ${headFile}: ${err.code ?? 'error'}`, err);
      });
      const result = verifyLedger(text, { verifiers, head });
      if (!result.ok) {
        io.stderr.write(`${v.ledger}:${result.line}: ${result.reason}\n${result.line === 0 ? `(${headFile})\n` : ''}ledger verification FAILED\n`);
        return 1;
      }
      io.stdout.write(`${v.ledger}: intact (${result.entries} entr${result.entries === 1 ? 'y' : 'ies'}; last hash ${result.lastHash}${result.signaturesChecked ? `; signatures checked with ${verifiers.map((x) => x.keyId).join(', ')}` : ''})\n`);
      for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
      return 0;
    }
    case 'export-key': {
      const v = parse(args, { config: { type: 'string', short: 'c' }, 'key-file': { type: 'string' } });
      let source: { key?: string | undefined; keyFile?: string | undefined };
      if (typeof v['key-file'] === 'string') source = { keyFile: v['key-file'] };
      else if (typeof v.config === 'string') {
        const cfg = loadConfigFile(v.config).ledger;
        if (!cfg) throw usage(`export-key: ${v.config} has no ledger section`);
        source = cfg;
      } else throw usage('export-key: --config FILE or --key-file FILE is required');
      const signer = signerOf(loadPrivateKey(source, 'ledger'));
      io.stdout.write(exportPublicKey(signer.publicKey));
      io.stderr.write(`key id ${signer.keyId}\n`);
      return 0;
    }
    case 'export': {
      // The fleet's ledger stream (ledger.stream: redis) as a ledger file and its head, for verify.
      const v = parse(args, { redis: { type: 'string' }, prefix: { type: 'string' }, out: { type: 'string', short: 'o' } });
      if (typeof v.redis !== 'string' || typeof v.out !== 'string') throw usage('export: --redis URL and --out FILE are required');
      const out = await readLedgerStream(v.redis, typeof v.prefix === 'string' ? v.prefix : DEFAULT_PREFIX);
      await writeFile(v.out, out.text);
      if (out.head !== undefined) await writeFile(headPath(v.out), out.head);
      io.stdout.write(`${v.out}: ${out.entries} entr${out.entries === 1 ? 'y' : 'ies'} from the fleet's ledger stream${out.head === undefined ? ' (no head yet)' : `; head ${headPath(v.out)}`}\n`);
      return 0;
    }
    case 'keygen': {
      parse(args, {});
      io.stdout.write(generatePrivateKeyPem());
      return 0;
    }
    default:
      throw usage(sub === undefined ? 'a subcommand is required (verify, export, export-key, keygen)' : `unknown subcommand "${sub}" (verify, export, export-key, keygen)`);
  }
}
