// pino loggers: one JSON line per event. The access log carries route, upstream, status, duration and
// request id, never bodies, query strings or header values (they can hold user data); the key and
// tokens never reach any logger (redaction is a second line of defence, not the first).
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'shadowgate', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['key', '*.key', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
  }, destination ?? pino.destination({ dest: 1, sync: false }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
