// Polling with a deadline per call and no overlap: the next poll starts only after the last one ended.
import type { Stop } from './main.js';

export const POLL_MS = 2000;

export function poll(tick: () => Promise<void>, everyMs = POLL_MS): Stop {
  let stopped = false;
  let timer: number | undefined;
  const run = async () => {
    try {
      await tick();
    } finally {
      if (!stopped) timer = window.setTimeout(() => void run(), everyMs);
    }
  };
  void run();
  return () => {
    stopped = true;
    if (timer !== undefined) window.clearTimeout(timer);
  };
}
