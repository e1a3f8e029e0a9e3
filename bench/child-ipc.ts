// The small IPC protocol between the bench runner and the Node processes it starts: a child announces
// its port once listening and answers event-loop-delay queries measured inside its own loop.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo, Server } from 'node:net';

export type LoopDelay = { p50Ms: number; p99Ms: number; maxMs: number };
export type ChildMessage = { type: 'ready'; port: number } | { type: 'loop-delay'; delay: LoopDelay };
export type ParentMessage = { type: 'loop-delay' };

/** Tell the parent which port the server got, then serve loop-delay queries (each resets the window). */
export function announceReady(server: Server): void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('message', (msg: ParentMessage) => {
    if (msg.type !== 'loop-delay') return;
    const delay: LoopDelay = {
      p50Ms: histogram.percentile(50) / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      maxMs: histogram.max / 1e6,
    };
    histogram.reset();
    process.send?.({ type: 'loop-delay', delay } satisfies ChildMessage);
  });
  // The runner owns our lifetime: if it dies, so do we (no orphaned servers on the machine).
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies ChildMessage);
}
