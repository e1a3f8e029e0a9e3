// Durable runtime state (canary weights, rollout progress, rollbacks): written whole to a temporary
// file, fsynced, renamed over the old one, so a crash leaves either the previous or the new state.
// Writes leave the calling thread (issue 22 point 4: a hard-failure rollback decided on the live
// thread used to end in fsyncSync there): `save` applies nothing and blocks nothing, it hands the
// state to one writer per file that writes the newest state it has, one write at a time (a burst of
// changes costs one or two writes, never a queue). The caller has already applied the change in
// memory; a crash before the write completes loses that change (and only the changes since the last
// completed write, typically a few milliseconds' worth). `flush()` resolves once everything saved
// so far is on disk (the admin API and shutdown wait on it).
import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ShadowgateError } from '../errors.js';
import { persistedStateSchema } from '../routing/rollout.js';
import type { RoutingStore } from '../routing/runtime.js';

/**
 * The file's shape: the routing state, plus (with the redis backend) the routes changed here that the
 * fleet has not taken yet (the pending-changes journal; see docs/fleet-outages.md).
 */
export const stateFileSchema = persistedStateSchema.extend({ pending: z.array(z.string()).optional() });
export type StateFileContent = z.infer<typeof stateFileSchema>;

let tmpSeq = 0;

/** Writes `text` to `path` atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, text: string, tmp = `${path}.${process.pid}.tmp`): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  // The rename itself lives in the directory: without this a power loss may forget it.
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is already durable.
  }
}

export class StateFile implements RoutingStore {
  /** The newest state not yet handed to a write, and who waits for it. */
  private next: { text: string; waiters: { resolve: () => void; reject: (e: Error) => void }[] } | undefined;
  private writing = false;
  private readonly tmp: string;

  constructor(readonly path: string) {
    // One temp name per instance: two stores on one path in one process never share a temp file.
    this.tmp = `${path}.${process.pid}.${++tmpSeq}.tmp`;
  }

  /** The saved state; undefined when there is none yet. A damaged file is an error, never silently reset. */
  load(): StateFileContent | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ShadowgateError('SG_ERR_STATE_FILE', `cannot read state file ${this.path}: ${(err as Error).message}`, 500, { cause: err });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ShadowgateError('SG_ERR_STATE_FILE', `state file ${this.path} is not valid JSON; move it aside to start from the configuration`, 500);
    }
    const parsed = stateFileSchema.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 5).join('; ');
      throw new ShadowgateError('SG_ERR_STATE_FILE', `state file ${this.path} has an unexpected shape (${where}); move it aside to start from the configuration`, 500);
    }
    return parsed.data;
  }

  /**
   * Hands `state` to the writer and returns at once; the promise resolves when it (or a newer state)
   * is on disk, and rejects when that write failed (the routing runtime logs it: the state in memory
   * is still right, only its durability is lost until the next write succeeds).
   */
  save(state: StateFileContent): Promise<void> {
    const text = `${JSON.stringify(state)}\n`;
    const done = new Promise<void>((resolve, reject) => {
      if (this.next === undefined) this.next = { text, waiters: [] };
      else this.next.text = text;
      this.next.waiters.push({ resolve, reject });
    });
    // A caller that drops the promise must not turn a failed write into an unhandled rejection.
    done.catch(() => undefined);
    if (!this.writing) void this.drain();
    return done;
  }

  /** Resolves once every state saved so far is on disk (or its write failed). */
  flush(): Promise<void> {
    if (this.next === undefined && !this.writing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (this.next === undefined) this.next = { text: '', waiters: [] };
      this.next.waiters.push({ resolve, reject: () => resolve() });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.next !== undefined) {
        const { text, waiters } = this.next;
        this.next = undefined;
        try {
          // A flush with nothing newer to write only waits for the write before it.
          if (text !== '') await writeFileAtomic(this.path, text, this.tmp);
          for (const w of waiters) w.resolve();
        } catch (err) {
          for (const w of waiters) w.reject(err as Error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
