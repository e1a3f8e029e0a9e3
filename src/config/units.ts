// Human units in config: sizes (`256kb`, `1mb`) and durations (`500ms`, `2s`, `5m`). Plain numbers
// are bytes and milliseconds. Parsed once at load; everything downstream sees numbers.
import { z } from 'zod';

const SIZE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseUnit(text: string, units: Readonly<Record<string, number>>): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const factor = units[(m[2] ?? '').toLowerCase() || Object.keys(units)[0]!];
  return factor === undefined ? undefined : Math.round(Number(m[1]) * factor);
}

export function parseSize(text: string): number | undefined {
  return parseUnit(text, SIZE_UNITS);
}

export function parseDuration(text: string): number | undefined {
  return parseUnit(text, DURATION_UNITS);
}

/** A byte size: a non-negative integer or a string such as `256kb`. */
export const size = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 256kb or 1mb, got "${v}"` });
    return z.NEVER;
  }
  return n;
});

/** A duration in milliseconds: a number or a string such as `500ms`, `2s`, `5m`. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const n = parseDuration(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 2s or 5m, got "${v}"` });
    return z.NEVER;
  }
  return n;
});
