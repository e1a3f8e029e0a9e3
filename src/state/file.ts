// The embedded backend for one process: the state file is the truth, this process is the judge.
import { hostname } from 'node:os';
import { StateFile } from './state-file.js';
import type { AuditSink, EvidenceSnapshot, StateBackend } from './backend.js';

export class FileBackend implements StateBackend {
  readonly kind = 'file';
  readonly replica = `${hostname()}:${process.pid}`;
  readonly store: StateFile;

  constructor(path: string) {
    this.store = new StateFile(path);
  }

  isJudge(): boolean {
    return true;
  }

  evidence(): undefined {
    return undefined;
  }

  snapshots(): EvidenceSnapshot[] {
    return [];
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  auditSink(local: AuditSink): AuditSink {
    return local;
  }

  up(): boolean {
    return true;
  }

  close(): Promise<void> {
    return this.store.flush();
  }
}
