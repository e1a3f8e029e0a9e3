// The demo's command line: `shadowgate demo [--duration 30s] [--keep-running] [--seed N] [--rps N]`.
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/units.js';
import { ShadowgateError } from '../errors.js';

export interface DemoArgs {
  readonly durationMs: number;
  readonly keepRunning: boolean;
  readonly seed?: number;
  readonly rps?: number;
}

export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        duration: { type: 'string', default: '30s' },
        'keep-running': { type: 'boolean', default: false },
        seed: { type: 'string' },
        rps: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new ShadowgateError('SG_ERR_USAGE', `demo: ${(err as Error).message}\nusage: shadowgate demo [--duration 30s] [--keep-running] [--seed N] [--rps N]`, 400);
  }
  const durationMs = parseDuration(values.duration);
  if (durationMs === undefined || durationMs < 1000 || durationMs > 3_600_000) {
    throw new ShadowgateError('SG_ERR_USAGE', `demo: --duration expects a duration between 1s and 1h such as 30s, got "${values.duration}"`, 400);
  }
  const positive = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new ShadowgateError('SG_ERR_USAGE', `demo: --${flag} expects a positive number, got "${v}"`, 400);
    return n;
  };
  const seed = positive('seed', values.seed);
  const rps = positive('rps', values.rps);
  return { durationMs, keepRunning: values['keep-running'] === true, ...(seed !== undefined ? { seed } : {}), ...(rps !== undefined ? { rps } : {}) };
}

