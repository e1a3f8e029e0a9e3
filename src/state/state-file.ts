// Durable runtime state (canary weights, rollout progress, rollbacks): written whole to a temporary
// file, fsynced, renamed over the old one, so a crash leaves either the previous or the new state.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ShadowgateError } from '../errors.js';
import { persistedStateSchema, type PersistedState } from '../routing/rollout.js';
import type { RoutingStore } from '../routing/runtime.js';

/** Writes `text` to `path` atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // The rename itself lives in the directory: without this a power loss may forget it.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is already durable.
  }
}

export class StateFile implements RoutingStore {
  constructor(readonly path: string) {}

  /** The saved state; undefined when there is none yet. A damaged file is an error, never silently reset. */
  load(): PersistedState | undefined {
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
    const parsed = persistedStateSchema.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).slice(0, 5).join('; ');
      throw new ShadowgateError('SG_ERR_STATE_FILE', `state file ${this.path} has an unexpected shape (${where}); move it aside to start from the configuration`, 500);
    }
    return parsed.data;
  }

  save(state: PersistedState): void {
    writeFileAtomic(this.path, `${JSON.stringify(state)}\n`);
  }
}
