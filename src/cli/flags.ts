// A command-line parse error in the operator's words: an unknown flag with the nearest known one
// ("unknown flag --confg (did you mean --config?)"), not node:util's advice about positionals.
import { closest } from '../config/did-you-mean.js';

/** The message for an error thrown by node:util parseArgs, given the flags the command knows. */
export function flagProblem(err: unknown, options: Readonly<Record<string, unknown>>): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /^Unknown option '([^']+)'/.exec(message)?.[1];
  if (unknown === undefined) return message;
  const flags = [...Object.keys(options).map((n) => `--${n}`), '--help'];
  const guess = unknown.startsWith('--') ? closest(unknown.split('=')[0]!, flags) : undefined;
  return `unknown flag ${unknown}${guess !== undefined ? ` (did you mean ${guess}?)` : ''}`;
}
